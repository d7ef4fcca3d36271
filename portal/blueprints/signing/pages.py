"""The volunteer's own page (what they signed, their status and access) and the staff's page that
verifies one signature."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from portal import audit, db
from portal.auth.permissions import get_signature_or_404, roles_required
from portal.blueprints.signing.routes import bp
from portal.labels import STATE_TAGS
from portal.models import (
    AccessGrant,
    DeclarationKind,
    Role,
    Signature,
    Volunteer,
    VolunteerState,
)
from portal.services import signing, volunteer_activities
from portal.services.calendar import BLOCK_REASONS
from portal.services.volunteer_status import (
    VolunteerStatus,
    active_grants,
    current_versions,
    latest_signatures,
    outdated_kinds,
    status_of,
    today,
)

# Consent can be withdrawn while it is in use (another part of the portal does the withdrawing).
_WITHDRAWABLE = (VolunteerState.INVITED, VolunteerState.AWAITING_CHECK, VolunteerState.CLEARED)


@dataclass(frozen=True)
class Overview:
    """One of the user's volunteer registrations, as their own page shows it."""

    volunteer: Volunteer
    status: VolunteerStatus
    status_kind: str
    signatures: list[Signature]  # newest first
    current_ids: set[uuid.UUID]  # signatures that count: current versions, since any renewal
    grants: list[AccessGrant]
    outdated: list[DeclarationKind]
    has_work: bool
    may_withdraw: bool
    activities: list[volunteer_activities.VolunteerActivity]


def overview(volunteer: Volunteer, withdraw_exists: bool) -> Overview:
    signatures = list(
        db.session.scalars(
            select(Signature)
            .where(Signature.volunteer_id == volunteer.id)
            .order_by(Signature.signed_at.desc())
        )
    )
    current = {version.id for version in current_versions().values()}
    status = status_of(volunteer)
    return Overview(
        volunteer=volunteer,
        status=status,
        status_kind=STATE_TAGS.get(status, "info"),
        signatures=signatures,
        current_ids={
            s.id
            for s in latest_signatures(volunteer).values()
            if s.declaration_version_id in current
        },
        grants=active_grants(volunteer),
        outdated=outdated_kinds(volunteer) if volunteer.state in signing.SIGNING_STATES else [],
        has_work=signing.has_work(volunteer),
        may_withdraw=withdraw_exists and bool(signatures) and volunteer.state in _WITHDRAWABLE,
        activities=volunteer_activities.upcoming(volunteer, today()),
    )


@bp.get("/mig/frivillig")
@roles_required(Role.VOLUNTEER)
def my_page() -> str:
    volunteers = db.session.scalars(
        select(Volunteer).where(Volunteer.user_id == current_user.id).order_by(Volunteer.created_at)
    ).all()
    # The withdrawal page belongs to the clearance part; the link shows once it exists.
    withdraw_exists = "clearance.withdraw" in current_app.view_functions
    return render_template(
        "signing/my_page.html",
        overviews=[overview(volunteer, withdraw_exists) for volunteer in volunteers],
        block_reasons=BLOCK_REASONS,
    )


@bp.get("/underskrifter/<uuid:signature_id>")
@roles_required(Role.CASEWORKER, Role.ADMIN, Role.DPO)
def verify_signature(signature_id: uuid.UUID) -> str:
    signature = get_signature_or_404(signature_id)
    volunteer = db.session.get(Volunteer, signature.volunteer_id)
    result = signing.verify(signature)
    audit.record(
        "signature.verified",
        object_type="signature",
        object_id=signature.id,
        details={"ok": result.ok},
    )
    return render_template(
        "signing/verify.html",
        signature=signature,
        volunteer=volunteer,
        result=result,
        text_hash=signing.text_hash(signature.text_shown),
    )
