"""The DPO's landing page; the parts live in their own modules (see ``__init__``)."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal import audit, db
from portal.auth.permissions import roles_required
from portal.models import Role
from portal.services import subject_request_queries

bp = Blueprint("privacy", __name__)


@bp.get("/databeskyttelse")
@roles_required(Role.DPO)
def index() -> str:
    return render_template(
        "privacy/index.html",
        verify=audit.verify_chain(db.session),
        open_requests=subject_request_queries.open_count(),
        due_soon=subject_request_queries.due_soon_count(),
    )
