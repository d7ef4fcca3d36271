"""Which of the user's organisations an NGO staff page is about (shared by the blueprints)."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from portal import audit
from portal.models import Organisation
from portal.services import volunteers


def staff_organisation(area: str) -> tuple[Organisation, dict[str, str]]:
    """The organisation the page is about, and the query argument that keeps it in links.

    Staff of several organisations pick one with ``?organisation=<id>``; the first by name
    otherwise. Another organisation's id answers 404, audited with ``area`` in the reason.
    """
    organisations = volunteers.staff_organisations(current_user)
    if not organisations:
        abort(403)
    wanted = request.args.get("organisation", "")
    chosen = organisations[0]
    if wanted:
        found = next((o for o in organisations if str(o.id) == wanted), None)
        if found is None:
            audit.record_security_event(
                "access.denied",
                object_type="organisation",
                object_id=wanted[:40],
                details={"reason": f"not staff of the organisation ({area})"},
            )
            abort(404)
        chosen = found
    args = {"organisation": str(chosen.id)} if len(organisations) > 1 else {}
    return chosen, args


def other_organisations(organisation: Organisation) -> list[Organisation]:
    """The user's other organisations (to switch to)."""
    return [o for o in volunteers.staff_organisations(current_user) if o.id != organisation.id]
