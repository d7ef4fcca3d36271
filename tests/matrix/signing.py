"""The volunteer's signing pages, their own page, and the staff's signature verification.

The world has two volunteers of organisation A (area Øst): one with a fresh signing link, and
one who used theirs (the demo volunteer's account), gave no CPR number yet and signed one
declaration. Without a proof of identity in the session the signing steps send the volunteer
to their own page (302); everyone else is stopped by the role gate (403). A POST with an empty
body is an invalid form (400).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    DeclarationKind,
    IdentityMethod,
    Organisation,
    Signature,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import signing, volunteer_links
from portal.services.volunteer_status import current_versions, render_text
from tests.matrix import LOGIN_REDIRECT, Route, everyone, fixed, only
from tests.roles import ALL_ROLES, ANONYMOUS

VOLUNTEER = {"volunteer"}
VERIFIERS = {"caseworker_ost", "admin", "dpo"}


def _verifiers(status: int) -> dict[str, int]:
    """Caseworker Øst, admin and DPO; caseworker Vest gets 404 (another office); others 403."""
    expected = {role: 403 for role in ALL_ROLES}
    expected[ANONYMOUS] = LOGIN_REDIRECT
    expected.update(dict.fromkeys(VERIFIERS, status))
    expected["caseworker_vest"] = 404
    return expected


BOGUS = "/underskriv/" + "x" * 43

ROUTES: list[Route] = [
    Route("GET", "signing.start", lambda w: f"/underskriv/{w['signing_token']}", everyone(200)),
    Route("GET", "signing.start", fixed(BOGUS), everyone(404)),
    Route("POST", "signing.start", lambda w: f"/underskriv/{w['signing_token']}", everyone(400)),
    Route("POST", "signing.start", fixed(BOGUS), everyone(404)),
    Route("GET", "signing.cpr", fixed("/underskriv/cpr"), only(VOLUNTEER, 302)),
    Route("POST", "signing.cpr", fixed("/underskriv/cpr"), only(VOLUNTEER, 302)),
    Route("GET", "signing.declarations", fixed("/underskriv/erklaeringer"), only(VOLUNTEER, 302)),
    Route("POST", "signing.declarations", fixed("/underskriv/erklaeringer"), only(VOLUNTEER, 302)),
    Route("GET", "signing.done", fixed("/underskriv/kvittering"), only(VOLUNTEER, 302)),
    Route("GET", "signing.my_page", fixed("/mig/frivillig"), only(VOLUNTEER, 200)),
    Route(
        "GET",
        "signing.reconfirm",
        lambda w: f"/mig/frivillig/{w['signing_volunteer']}/bekraeft",
        only(VOLUNTEER, 200),
    ),
    Route(
        "POST",
        "signing.reconfirm",
        lambda w: f"/mig/frivillig/{w['signing_volunteer']}/bekraeft",
        only(VOLUNTEER, 400),
    ),
    Route(
        "GET",
        "signing.verify_signature",
        lambda w: f"/underskrifter/{w['signing_signature']}",
        _verifiers(200),
    ),
    Route(
        "GET",
        "signing.verify_signature",
        lambda _w: f"/underskrifter/{uuid.uuid4()}",
        _verifiers(404),
    ),
]


def world(session: Session) -> dict[str, Any]:
    """Committed inside the test's transaction, which is rolled back after the test."""
    organisation = session.scalar(
        select(Organisation).where(Organisation.name == "Foreningen Nyt Netværk")
    )
    account = session.scalar(select(User).where(User.email == "volunteer@example.org"))
    assert organisation is not None and account is not None
    invited = Volunteer(
        organisation_id=organisation.id,
        name="Signe Link",
        email="matrix.signing.link@example.org",
        birth_date=date(1991, 2, 3),
    )
    signed = Volunteer(
        organisation_id=organisation.id,
        user_id=account.id,
        name="Mette Hansen",
        # Not her demo e-mail: the demo data has a volunteer row for that one already.
        email="matrix.signing.own@example.org",
        birth_date=date(1988, 4, 5),
        state=VolunteerState.INVITED,
        invitation_used_at=utcnow(),
    )
    session.add_all([invited, signed])
    session.flush()
    token = volunteer_links.new_link(invited)
    version = current_versions()[DeclarationKind.REGISTER_CONSENT]
    text = render_text(version, signed, "da")
    signature = Signature(
        id=uuid.uuid4(),
        volunteer_id=signed.id,
        declaration_version_id=version.id,
        language="da",
        text_shown=text,
        text_sha256=signing.text_hash(text),
        identity_method=IdentityMethod.LINK_BIRTH_DATE,
        act="Jeg underskriver",
        signed_at=utcnow(),
        ip_address="127.0.0.1",
        user_agent="matrix",
    )
    signature.evidence_mac = signing.seal(signature)
    session.add(signature)
    session.commit()
    return {
        "signing_token": token,
        "signing_volunteer": signed.id,
        "signing_signature": signature.id,
    }
