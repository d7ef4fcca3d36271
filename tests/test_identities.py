"""Identity proofs from a citizen provider."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import db
from portal.models import ExternalIdentity
from portal.services import identities

PROOF = {
    "provider": "mitid",
    "issuer": "https://broker.example",
    "subject": "sub-123",
    "name": "Mette Hansen",
    "email": "mette@example.org",
    "assurance_level": "https://data.gov.dk/concept/core/nsis/loa/Substantial",
}


def test_the_same_person_proving_twice_is_one_identity(app: Flask) -> None:
    with app.test_request_context():
        first = identities.record_identity_proof(**PROOF)
        second = identities.record_identity_proof(**{**PROOF, "name": "Mette K. Hansen"})
        assert first.id == second.id
        assert second.name == "Mette K. Hansen"


def test_two_first_proofs_at_once_end_as_one_identity(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other tab's proof committed between our look-up and our insert (a race that timing
    alone produces, so the look-up is made to miss once)."""
    with app.test_request_context():
        existing = identities.record_identity_proof(**PROOF)
        real_find = identities.find_identity
        calls: list[Any] = []

        def miss_once(issuer: str, subject: str) -> ExternalIdentity | None:
            calls.append(subject)
            return None if len(calls) == 1 else real_find(issuer, subject)

        monkeypatch.setattr(identities, "find_identity", miss_once)
        again = identities.record_identity_proof(**PROOF)
        assert again.id == existing.id
        count = db.session.scalar(
            select(func.count())
            .select_from(ExternalIdentity)
            .where(ExternalIdentity.subject == "sub-123")
        )
        assert count == 1
