"""Erasure of one person's data: what may go is erased or anonymised, what must be kept is
listed with the reason, the files go when the change commits, and it is audited with counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from portal import db, storage
from portal.db import utcnow
from portal.models import (
    AccountToken,
    AuditEntry,
    CheckOutcome,
    DataSubjectRequest,
    Document,
    ExternalIdentity,
    LoginSession,
    OrganisationState,
    OwnerType,
    Role,
    Signature,
    SubjectRequestKind,
    User,
    Volunteer,
)
from portal.services import (
    accounts,
    clearance,
    identities,
    onboarding,
    subject_erasure,
    volunteers,
)
from portal.services.anonymise import ANONYMOUS_USER_NAME, ANONYMOUS_VOLUNTEER_NAME
from portal.services.volunteer_status import today
from tests.activity_data import ORG_A, ORG_B, VESTRE, in_days, institution, organisation, user
from tests.test_subject_export import AGENT, BORN, IP, PASSWORD, _sign

EMAIL = "tove.tangen@example.test"
NAME = "Tove Tangen"


@dataclass
class Subject:
    user: User
    with_access: Volunteer  # organisation A: cleared, access at Vestre Fængsel
    without_access: Volunteer  # organisation B: signed, never checked
    request: DataSubjectRequest


def build_subject() -> Subject:
    """A volunteer in two organisations (one with current access), with an account, a
    session, an identity, an e-mail link and a request for erasure."""
    person = accounts.create_user(EMAIL, NAME, PASSWORD)
    registrations = []
    for org_name, admin in ((ORG_A, "ngo_a_admin"), (ORG_B, "ngo_b_admin")):
        volunteer = volunteers.register(
            organisation(org_name),
            user(admin),
            volunteers.NewVolunteer(name=NAME, email=EMAIL, birth_date=BORN),
        )
        _sign(volunteer, person)
        registrations.append(volunteer)
    with_access, without_access = registrations
    clearance.record_outcome(
        with_access, user("caseworker_ost"), outcome=CheckOutcome.CLEARED, check_date=today()
    )
    volunteers.add_preparation(
        with_access, user("ngo_a_admin"), today(), "Sikkerhedsregler", "Amalie Andersen"
    )
    clearance.grant_access(with_access, user("caseworker_ost"), [institution(VESTRE)])
    # The check in organisation B was never done: no pending check either (consent withdrawn).
    clearance.withdraw_consent(without_access, person)
    accounts.start_login_session(person, method="password", ip=IP, user_agent=AGENT)
    identities.link_identity(person, "mitid-test", "https://broker.example.test", "sub-tove-1")
    accounts.request_password_reset(EMAIL)
    request = DataSubjectRequest(
        kind=SubjectRequestKind.ERASURE,
        subject_user_id=person.id,
        subject_name=NAME,
        subject_email=EMAIL,
        description="Slet alt om mig.",
        due_on=in_days(30),
        original_due_on=in_days(30),
    )
    db.session.add(request)
    db.session.flush()
    return Subject(person, with_access, without_access, request)


def keys(items: list[subject_erasure.PlanItem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.key] = counts.get(item.key, 0) + item.count
    return counts


def receipts_of(volunteer: Volunteer) -> list[Document]:
    ids = db.session.scalars(
        select(Signature.receipt_document_id).where(Signature.volunteer_id == volunteer.id)
    )
    return list(db.session.scalars(select(Document).where(Document.id.in_(list(ids)))))


def erasures_audited(person: User) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == "privacy.erasure_applied",
                AuditEntry.object_id == str(person.id),
            )
            .order_by(AuditEntry.id)
        )
    )


def test_the_plan_keeps_a_volunteer_with_access_and_says_why(app_ctx: Flask) -> None:
    subject = build_subject()
    audit_rows = db.session.scalar(select(func.count()).select_from(AuditEntry))
    plan = subject_erasure.plan(subject.user)

    kept = {item.key: item for item in plan.kept}
    access = kept["frivillig-adgang"]
    assert access.count == 1
    assert ORG_A in access.what
    assert VESTRE in access.reason and "5 år" in access.reason
    assert "samtykke" in access.reason
    # The account is what the volunteer uses for the access: kept, with the reason.
    assert "adgangen varer" in kept["konto"].reason
    assert not plan.account_erased
    assert kept["hændelser"].count > 0 and "art. 32" in kept["hændelser"].reason
    assert kept["anmodninger"].count == 1 and kept["anmodninger"].reason
    # The registration without access goes, with its signatures.
    assert keys(plan.erased) == {"frivillig": 1, "underskrifter": 3}
    assert all(item.reason for item in plan.erased + plan.kept)
    # Planning changes nothing.
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows


def test_apply_erases_what_it_may_and_keeps_the_volunteer_with_access(app_ctx: Flask) -> None:
    subject = build_subject()
    receipt_keys = [document.storage_key for document in receipts_of(subject.without_access)]
    kept_receipts = [document.storage_key for document in receipts_of(subject.with_access)]
    assert receipt_keys and kept_receipts

    subject_erasure.apply(subject.user, user("dpo"))
    db.session.commit()

    gone = db.session.get(Volunteer, subject.without_access.id)
    assert gone is not None and gone.name == ANONYMOUS_VOLUNTEER_NAME and gone.user_id is None
    assert not receipts_of(gone)
    assert not any(storage.get_storage().exists(key) for key in receipt_keys)
    # Kept: the registration with access, its signatures and receipts, and the account.
    assert subject.with_access.name == NAME and receipts_of(subject.with_access)
    assert all(storage.get_storage().exists(key) for key in kept_receipts)
    assert subject.user.email == EMAIL and subject.user.active
    # The kept account is no longer a volunteer of organisation B.
    volunteer_scopes = subject.user.scopes(Role.VOLUNTEER)
    assert volunteer_scopes == {organisation(ORG_A).id}

    [entry] = erasures_audited(subject.user)
    assert entry.actor_id == str(user("dpo").id)
    assert entry.details["erased"] == {"frivillig": 1, "underskrifter": 3}
    assert entry.details["kept"]["frivillig-adgang"] == 1
    details = json.dumps(entry.details, ensure_ascii=False)
    assert NAME not in details and EMAIL not in details


def test_after_the_evidence_period_everything_erasable_goes_and_twice_is_harmless(
    app_ctx: Flask,
) -> None:
    subject = build_subject()
    person = subject.user
    own_files = list(
        db.session.scalars(
            select(Document).where(
                Document.owner_type == OwnerType.USER, Document.owner_id == person.id
            )
        )
    )
    assert own_files
    # A day when the access ended more than 5 years before.
    last_day = subject.with_access.access_grants[0].valid_until
    later = utcnow() + timedelta(days=(last_day - today()).days + 6 * 365)

    plan = subject_erasure.plan(person, now=later)
    assert plan.account_erased
    erased = keys(plan.erased)
    assert erased["frivillig"] == 2 and erased["konto"] == 1
    assert erased["log-ind-sessioner"] == 1 and erased["log-ind-identiteter"] == 1
    assert erased["e-mail-links"] == 1 and erased["dokumenter"] == len(own_files)
    assert {"hændelser", "anmodninger"} <= set(keys(plan.kept))
    assert "konto" not in keys(plan.kept)

    subject_erasure.apply(person, user("dpo"), now=later)
    db.session.commit()

    assert person.name == ANONYMOUS_USER_NAME and EMAIL not in person.email
    assert not person.active and person.password_hash is None
    assert person.role_assignments == []
    for model in (LoginSession, ExternalIdentity):
        assert (
            db.session.scalar(
                select(func.count()).select_from(model).where(model.user_id == person.id)
            )
            == 0
        )
    assert (
        db.session.scalar(
            select(func.count()).select_from(AccountToken).where(AccountToken.email == EMAIL)
        )
        == 0
    )
    assert not any(storage.get_storage().exists(d.storage_key) for d in own_files)
    for volunteer in (subject.with_access, subject.without_access):
        row = db.session.get(Volunteer, volunteer.id)
        assert row is not None and row.name == ANONYMOUS_VOLUNTEER_NAME
    # Kept: the request (documentation of the answer) and the audit log.
    assert db.session.get(DataSubjectRequest, subject.request.id) is not None

    # Again: nothing left to erase, no error, and the audit log says so.
    again = subject_erasure.apply(person, user("dpo"), now=later)
    assert again.erased == []
    assert {"hændelser", "anmodninger"} <= set(keys(again.kept))
    first, second = erasures_audited(person)
    assert first.details["erased"]["konto"] == 1 and second.details["erased"] == {}


def test_within_five_years_of_the_access_the_evidence_stays_but_the_account_goes(
    app_ctx: Flask,
) -> None:
    subject = build_subject()
    grant = subject.with_access.access_grants[0]
    later = utcnow() + timedelta(days=(grant.valid_until - today()).days + 2 * 365)

    plan = subject_erasure.plan(subject.user, now=later)
    [evidence] = [item for item in plan.kept if item.key == "frivillig-bevis"]
    assert "5 år" in evidence.reason and str(grant.valid_until.year + 5) in evidence.reason
    assert plan.account_erased

    subject_erasure.apply(subject.user, user("dpo"), now=later)
    assert subject.with_access.name == NAME
    assert db.session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.volunteer_id == subject.with_access.id)
    )
    assert subject.user.name == ANONYMOUS_USER_NAME


def test_the_only_admin_of_an_approved_organisation_keeps_the_account(app_ctx: Flask) -> None:
    founder = accounts.create_user("frede.foerst@example.test", "Frede Først", None)
    municipality_id = organisation(ORG_A).municipality_id
    draft = onboarding.start_draft(
        founder,
        {"name": "Strikkeklubben Masken", "cvr": "12345674", "municipality_id": municipality_id},
    )
    # A draft nobody else needs does not hold the account back.
    assert subject_erasure.plan(founder).account_erased

    draft.state = OrganisationState.APPROVED
    db.session.flush()
    plan = subject_erasure.plan(founder)
    [account] = [item for item in plan.kept if item.key == "konto"]
    assert "eneste administrator" in account.reason and "Strikkeklubben Masken" in account.reason

    colleague = accounts.create_user("maren.maske@example.test", "Maren Maske", None)
    accounts.grant_role(colleague, Role.NGO_ADMIN, organisation_id=draft.id)
    assert subject_erasure.plan(founder).account_erased


def test_a_staff_account_is_kept_while_it_has_a_staff_role(app_ctx: Flask) -> None:
    plan = subject_erasure.plan(user("caseworker_ost"))
    [account] = [item for item in plan.kept if item.key == "konto"]
    assert "Sagsbehandler" in account.reason
    assert not plan.account_erased
