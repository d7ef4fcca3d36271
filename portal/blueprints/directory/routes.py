"""The public directory of approved organisations that chose to be listed.

Only what the organisation wrote for the directory is shown, with its name and where it is:
nothing about its volunteers, its case, its members or its documents.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, render_template, request

from portal import db
from portal.auth.permissions import public
from portal.blueprints.directory.forms import DirectorySearchForm
from portal.labels import label
from portal.models import EffortKind, Organisation
from portal.pagination import paginate
from portal.services import directory

bp = Blueprint("directory", __name__)

PER_PAGE = 10


def _effort_labels() -> dict[str, str]:
    """The kinds of effort by their stored value, in the reader's language."""
    return {kind.value: label(kind) for kind in EffortKind}


@bp.get("/katalog")
@public
def index() -> str:
    form = DirectorySearchForm(request.args)
    form.validate()
    filters = form.filters()
    query = directory.listed(
        region=filters.get("region", ""),
        effort=filters.get("effort", ""),
        text=filters.get("q", ""),
    )
    page = paginate(query, request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template(
        "directory/index.html",
        form=form,
        page=page,
        args=filters,
        searched=bool(filters),
        effort_labels=_effort_labels(),
    )


@bp.get("/katalog/<uuid:organisation_id>")
@public
def entry(organisation_id: uuid.UUID) -> str:
    organisation = db.session.scalar(directory.listed().where(Organisation.id == organisation_id))
    if organisation is None:
        abort(404)
    return render_template(
        "directory/entry.html", organisation=organisation, effort_labels=_effort_labels()
    )
