"""Demo data for the DPO: a request for access that came by letter, its identity checked,
due within a week, so the dashboard and the request list have something to show. Made through
the real workflow."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import db
from portal.models import DataSubjectRequest, SubjectRequestChannel, SubjectRequestKind
from portal.services import accounts, subject_requests
from portal.services.subject_request_queries import today

LETTER_NAME = "Jens Mikkelsen"
LETTER_EMAIL = "jens.mikkelsen@example.net"


def seed_demo_privacy() -> None:
    if db.session.scalar(
        select(DataSubjectRequest.id).where(DataSubjectRequest.subject_email == LETTER_EMAIL)
    ):
        return
    dpo = accounts.find_user_by_email("dpo@example.org")
    assert dpo is not None
    request = subject_requests.create_request(
        SubjectRequestKind.ACCESS,
        "Brev modtaget med posten: Jeg vil gerne vide, hvilke oplysninger I har om mig fra "
        "min tid som frivillig besøgsven.",
        name=LETTER_NAME,
        email=LETTER_EMAIL,
        channel=SubjectRequestChannel.LETTER,
        actor=dpo,
        received_on=today() - timedelta(days=25),
    )
    subject_requests.apply(
        request,
        "check_identity",
        dpo,
        text="Kopi af kørekort vedlagt brevet; navn og adresse passer.",
    )
