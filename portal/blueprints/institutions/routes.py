"""Institutions as staff and organisations read them: where they are, when to visit, whom to
contact, their sections, and the rules that hold there in plain words.

Read-only. Who may see which institution is decided in ``portal.auth.permissions``
(``can_view_institution_details``): an inactive institution answers 404 to those who may not
see it, and the attempt is audited. The admin edits institutions on the admin pages.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from portal.auth.permissions import (
    INSTITUTION_READERS,
    can_browse_institutions,
    get_institution_details_or_404,
    roles_required,
)
from portal.blueprints.institutions.forms import InstitutionSearchForm
from portal.models import Role, User
from portal.pagination import paginate
from portal.services import institution_info

bp = Blueprint("institutions", __name__, url_prefix="/institutioner")

PER_PAGE = 25


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.get("")
@roles_required(*INSTITUTION_READERS)
def index() -> str:
    if not can_browse_institutions(_user()):
        abort(403)
    form = InstitutionSearchForm(request.args)
    form.validate()
    filters = form.filters()
    query = institution_info.search(_user(), filters.get("q", ""), filters.get("omraade", ""))
    page = paginate(query, request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template(
        "institutions/index.html", form=form, page=page, args=filters, searched=bool(filters)
    )


@bp.get("/<uuid:institution_id>")
@roles_required(*INSTITUTION_READERS)
def institution(institution_id: uuid.UUID) -> str:
    if not can_browse_institutions(_user()):
        abort(403)
    found = get_institution_details_or_404(institution_id)
    return render_template(
        "institutions/institution.html",
        details=institution_info.details(found, _user()),
        can_edit=_user().has_role(Role.ADMIN),
    )
