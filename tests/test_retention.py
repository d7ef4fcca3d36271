"""The retention job with frozen time (SECURITY.md item 20): for each rule, rows just past its
cutoff go (or are anonymised) and rows just inside it stay; files go from storage; a second
run does nothing; a dry run changes nothing and lists ids; the summary is audited; deleted rows
are counted per year; pruning the audit log keeps the chain verifiable and tamper-evident.

Time is the real present (``NOW``), which leaves the fresh demo data alone, so each test can
assert that a run finds exactly the rows it built. The audit-log tests prune up to a moment
between entries they wrote themselves, far in the future.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal import audit, db, storage
from portal.db import utcnow
from portal.models import (
    AccessEndReason,
    AccessGrant,
    AccountToken,
    Activity,
    ActivityEvent,
    ActivityKind,
    ActivityParticipant,
    ActivityState,
    ApplicationState,
    AuditCheckpoint,
    AuditEntry,
    DataSubjectRequest,
    DataSubjectRequestEvent,
    DeclarationVersion,
    Document,
    GrantApplication,
    GrantApplicationEvent,
    GrantReport,
    IdentityMethod,
    Institution,
    InstitutionContact,
    InstitutionKind,
    LoginSession,
    Organisation,
    OrganisationEvent,
    OrganisationState,
    OwnerType,
    ReportKind,
    RetentionTally,
    ReviewAssignment,
    ReviewScore,
    Role,
    Signature,
    SubjectRequestKind,
    SubjectRequestState,
    TokenPurpose,
    User,
    Volunteer,
    VolunteerEvent,
    VolunteerState,
)
from portal.models.organisations import EventKind
from portal.services import accounts, retention
from portal.services.anonymise import (
    ANONYMOUS_VOLUNTEER_NAME,
    is_anonymised_user,
    is_anonymised_volunteer,
)
from portal.services.retention import RULES
from portal.services.retention_rules import years_before
from tests.activity_data import ORG_A, STORSTROM, institution, organisation, user
from tests.grant_data import make_round

NOW = utcnow()
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
PDF = b"%PDF-1.4\n% retention test\n"


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.test_request_context():
        yield app


# --- building rows ---------------------------------------------------------------------------


def _person(role: Role | None = None, **scope: Any) -> User:
    person = accounts.create_user(f"r-{uuid.uuid4().hex[:10]}@example.test", "Rita Retention", None)
    if role is not None:
        accounts.grant_role(person, role, **scope)
    db.session.flush()
    return person


def _document(owner_type: OwnerType, owner_id: uuid.UUID, uploaded_at: datetime) -> Document:
    key = f"documents/{uuid.uuid4().hex}"
    storage.get_storage().put(key, PDF, "application/pdf")
    document = Document(
        owner_type=owner_type,
        owner_id=owner_id,
        purpose="attachment",
        original_name="bilag.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        storage_key=key,
        uploaded_at=uploaded_at,
    )
    db.session.add(document)
    db.session.flush()
    return document


def _volunteer(created_at: datetime, **values: Any) -> Volunteer:
    defaults: dict[str, Any] = {
        "organisation_id": organisation(ORG_A).id,
        "name": "Vera Frivillig",
        "email": f"v-{uuid.uuid4().hex[:10]}@example.test",
        "birth_date": date(1980, 5, 17),
        "state": VolunteerState.INVITED,
        "created_at": created_at,
    }
    volunteer = Volunteer(**{**defaults, **values})
    db.session.add(volunteer)
    db.session.flush()
    return volunteer


def _grant(volunteer: Volunteer, valid_until: date, ended_at: datetime | None = None) -> None:
    db.session.add(
        AccessGrant(
            volunteer_id=volunteer.id,
            institution_id=institution(STORSTROM).id,
            valid_from=valid_until - timedelta(days=365),
            valid_until=valid_until,
            granted_at=datetime.combine(valid_until - timedelta(days=365), time(), NOW.tzinfo),
            ended_at=ended_at,
            end_reason=AccessEndReason.REVOKED if ended_at else None,
            end_text="Tilbagekaldt efter en hændelse" if ended_at else "",
        )
    )
    db.session.flush()


def _signature(volunteer: Volunteer, owner: User, signed_at: datetime) -> Document:
    receipt = _document(OwnerType.USER, owner.id, signed_at)
    version = db.session.scalars(select(DeclarationVersion).limit(1)).one()
    db.session.add(
        Signature(
            volunteer_id=volunteer.id,
            declaration_version_id=version.id,
            language="da",
            text_shown="Jeg erklærer ...",
            text_sha256="0" * 64,
            identity_method=IdentityMethod.LINK_BIRTH_DATE,
            act="Jeg underskriver",
            signed_at=signed_at,
            ip_address="192.0.2.1",
            user_agent="test",
            evidence_mac="0" * 64,
            receipt_document_id=receipt.id,
        )
    )
    db.session.flush()
    return receipt


def _organisation(state: OrganisationState, decided_at: datetime | None) -> Organisation:
    model = organisation(ORG_A)
    found = Organisation(
        name=f"Afvist forening {uuid.uuid4().hex[:6]}",
        cvr="12345674",
        municipality_id=model.municipality_id,
        area_office_id=model.area_office_id,
        state=state,
        created_at=(decided_at or NOW) - timedelta(days=60),
        decided_at=decided_at,
        decision_reason="Formålet ligger uden for samarbejdet (skrevet af Søren Sagsbehandler)",
        created_by_id=user("ngo_a_admin").id,
        handled_by_id=user("caseworker_ost").id,
        directory_email="formand@example.test",
        directory_phone="12 34 56 78",
    )
    db.session.add(found)
    db.session.flush()
    db.session.add(
        OrganisationEvent(
            organisation_id=found.id,
            kind=EventKind.MESSAGE,
            actor_id=user("caseworker_ost").id,
            text="Ring til formanden Jens på 12 34 56 78",
            created_at=decided_at or NOW,
        )
    )
    db.session.flush()
    return found


def _activity(first: date, until: date | None = None) -> Activity:
    activity = Activity(
        organisation_id=organisation(ORG_A).id,
        institution_id=institution(STORSTROM).id,
        kind=ActivityKind.LEISURE,
        title="Brætspil i fællesrummet",
        recurrence_kind="weekly" if until else "once",
        first_date=first,
        until_date=until,
        start_time=time(14),
        end_time=time(16),
        state=ActivityState.CANCELLED,
        created_by_id=user("ngo_a_admin").id,
        decided_by_id=user("institution").id,
        decision_reason="Godkendt; vagten Ole tager imod",
        cancel_reason="Kontaktpersonen Mette er syg",
    )
    db.session.add(activity)
    db.session.flush()
    volunteer = _volunteer(NOW)
    db.session.add_all(
        [
            ActivityEvent(
                activity_id=activity.id,
                action="message",
                text="Husk at Mette har nøglen",
                actor_id=user("ngo_a_admin").id,
            ),
            ActivityParticipant(
                activity_id=activity.id,
                volunteer_id=volunteer.id,
                blocked_at=NOW,
                blocked_reason="Adgangen er tilbagekaldt",
            ),
        ]
    )
    db.session.flush()
    return activity


def _grant_case(state: ApplicationState, ended_at: datetime) -> GrantApplication:
    grant_round = make_round()
    application = GrantApplication(
        round_id=grant_round.id,
        organisation_id=organisation(ORG_A).id,
        state=state,
        title="Netværk efter løsladelse",
        created_at=ended_at - timedelta(days=400),
        updated_at=ended_at,
        submitted_at=ended_at - timedelta(days=390),
        decided_at=ended_at - timedelta(days=300),
        closed_at=ended_at if state == ApplicationState.CLOSED else None,
        granted_ore=3_500_000,
        decision_reason="Projektet er godt beskrevet af lederen Kim",
        conditions="Rapport senest 1. marts",
        created_by_id=user("ngo_a_admin").id,
        decided_by_id=user("grant_officer").id,
        closed_by_id=user("grant_officer").id if state == ApplicationState.CLOSED else None,
    )
    db.session.add(application)
    db.session.flush()
    assignment = ReviewAssignment(
        application_id=application.id,
        reviewer_id=user("reviewer").id,
        assigned_by_id=user("grant_officer").id,
        assigned_at=ended_at - timedelta(days=350),
    )
    db.session.add(assignment)
    db.session.flush()
    db.session.add_all(
        [
            ReviewScore(
                assignment_id=assignment.id,
                criterion_id=grant_round.criteria[0].id,
                score=4,
                comment="Lederen Kim virker erfaren",
            ),
            GrantApplicationEvent(
                application_id=application.id,
                action="message",
                text="Kassereren Lis svarer",
                actor_id=user("ngo_a_admin").id,
                created_at=ended_at - timedelta(days=200),
            ),
            GrantReport(
                application_id=application.id,
                kind=ReportKind.FINAL,
                narrative="Projektet gik godt.",
                decision_text="Godkendt af Bo",
                decided_by_id=user("grant_officer").id,
            ),
        ]
    )
    db.session.flush()
    return application


def _subject_request(
    state: SubjectRequestState, answered_at: datetime | None
) -> DataSubjectRequest:
    received = (answered_at or NOW) - timedelta(days=20)
    owner = _person()
    export = _document(OwnerType.USER, owner.id, answered_at or NOW)
    request = DataSubjectRequest(
        kind=SubjectRequestKind.ACCESS,
        state=state,
        subject_user_id=owner.id,
        subject_name="Rita Retention",
        subject_email=owner.email,
        description="Jeg vil se mine data",
        received_at=received,
        due_on=(received + timedelta(days=30)).date(),
        original_due_on=(received + timedelta(days=30)).date(),
        answered_at=answered_at,
        export_document_id=export.id,
    )
    db.session.add(request)
    db.session.flush()
    db.session.add(
        DataSubjectRequestEvent(
            request_id=request.id, action="received", text="Modtaget", created_at=received
        )
    )
    db.session.flush()
    return request


def _session_row(owner: User, created_at: datetime, **values: Any) -> LoginSession:
    row = LoginSession(
        user_id=owner.id,
        token_hash=secrets.token_hex(32),
        created_at=created_at,
        last_seen_at=values.pop("last_seen_at", created_at),
        **values,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _token(owner: User, created_at: datetime, **values: Any) -> AccountToken:
    row = AccountToken(
        purpose=TokenPurpose.PASSWORD_RESET,
        token_hash=secrets.token_hex(32),
        email=owner.email,
        user_id=owner.id,
        created_at=created_at,
        **values,
    )
    db.session.add(row)
    db.session.flush()
    return row


# --- reading the result ----------------------------------------------------------------------


def _ids(report: retention.RetentionReport, rule: str) -> set[str]:
    return {outcome_id for o in report.outcomes if o.rule.name == rule for outcome_id in o.ids}


def _only_found(report: retention.RetentionReport, expected: dict[str, set[Any]]) -> None:
    """The run found exactly the expected rows, and nothing under any other rule."""
    found = {o.rule.name: set(o.ids) for o in report.outcomes if o.ids}
    assert found == {rule: {str(i) for i in ids} for rule, ids in expected.items() if ids}


def _gone(model: type[Any], row_id: Any) -> bool:
    return db.session.scalar(select(func.count()).select_from(model).where(model.id == row_id)) == 0


def _commit() -> None:
    """The job's commit (a savepoint in the test): the files of deleted rows go now."""
    db.session.commit()


def _exists(document_key: str) -> bool:
    return storage.get_storage().exists(document_key)


def _tally(rule: str, year: int) -> int:
    found = db.session.scalar(
        select(RetentionTally.count).where(RetentionTally.rule == rule, RetentionTally.year == year)
    )
    return found or 0


# --- the rules -------------------------------------------------------------------------------


def test_every_rule_is_named_described_and_names_real_tables(app: Flask) -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert str(rule.title) and str(rule.description) and str(rule.action_label)
        assert rule.tables and set(rule.tables) <= set(db.Base.metadata.tables), rule.name


# Declared tables that no rule of the job governs, each with the reason. A new table with
# personal data needs a rule or a line here.
NOT_BY_A_RULE = {
    "calendar_feed": "only who made the address; the accounts rule unlinks it on anonymising",
    "declaration_version": "only who published it; shows as 'Slettet bruger' after the accounts rule",
    "grant_round": "only who made it; shows as 'Slettet bruger' after the accounts rule",
    "processing_record_settings": "the DPO's own contact data, overwritten by the DPO",
    "round_reviewer": "not yet enforced: user_id is required, so the row must be deleted "
    "10 years after the round; needs the round's end date",
    "terms_acceptance": "not yet enforced: there is no date on which the cooperation ends",
}


def test_every_declared_table_is_governed_by_a_rule_or_says_why_not(app: Flask) -> None:
    declared = {
        mapper.class_.__tablename__
        for mapper in db.Base.registry.mappers
        if getattr(mapper.class_, "__privacy__", None) is not None
    }
    governed = {table for rule in RULES for table in rule.tables}
    assert declared - governed == set(NOT_BY_A_RULE)


def test_the_fresh_demo_is_untouched_at_the_present(ctx: Flask) -> None:
    tables = {table for rule in RULES for table in rule.tables}

    def counts() -> dict[str, int]:
        return {
            table: db.session.scalar(
                select(func.count()).select_from(db.Base.metadata.tables[table])
            )
            or 0
            for table in tables
        }

    def anonymised() -> list[uuid.UUID]:
        volunteers = db.session.scalars(select(Volunteer))
        users = db.session.scalars(select(User))
        return [v.id for v in volunteers if is_anonymised_volunteer(v)] + [
            u.id for u in users if is_anonymised_user(u)
        ]

    before, anonymised_before = counts(), anonymised()
    entries_before = db.session.scalar(select(func.max(AuditEntry.id)))

    assert retention.preview(NOW).total == 0
    report = retention.run(NOW)

    assert report.total == 0, report.counts
    assert set(report.counts) == {rule.name for rule in RULES}
    audit_added = counts().pop("audit_entry") - before.pop("audit_entry")
    after = counts()
    after.pop("audit_entry")
    assert after == before
    assert audit_added == 1  # the summary only
    assert anonymised() == anonymised_before
    new = db.session.scalars(select(AuditEntry).where(AuditEntry.id > entries_before)).all()
    assert [entry.action for entry in new] == ["retention.run"]


def test_login_sessions_and_tokens_go_30_days_after_they_ended(ctx: Flask, app: Flask) -> None:
    """A session ends at the first of logout, the idle timeout and the absolute timeout; a
    link at the first of use, revocation and expiry. Both go 30 days after that."""
    owner = _person()
    idle = timedelta(seconds=app.config["SESSION_IDLE_SECONDS"])
    absolute = timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"])
    cutoff = NOW - timedelta(days=30)
    login = cutoff - timedelta(hours=2)
    gone = [
        _session_row(owner, login, last_seen_at=cutoff - MINUTE, revoked_at=cutoff - MINUTE),
        _session_row(owner, login, last_seen_at=cutoff - idle - MINUTE),
        _session_row(owner, cutoff - absolute - MINUTE, last_seen_at=cutoff - MINUTE),
    ]
    kept = [
        _session_row(owner, login, last_seen_at=cutoff, revoked_at=cutoff + MINUTE),
        _session_row(owner, login, last_seen_at=cutoff - idle + MINUTE),
        _session_row(owner, cutoff - absolute + MINUTE, last_seen_at=cutoff),
        _session_row(owner, NOW - timedelta(hours=1)),
    ]
    sent = cutoff - timedelta(days=3)
    tokens_gone = [
        _token(owner, sent, expires_at=sent + timedelta(days=14), used_at=cutoff - MINUTE),
        _token(owner, sent, expires_at=cutoff - MINUTE),
        _token(owner, sent, expires_at=NOW + DAY, revoked_at=cutoff - MINUTE),
    ]
    tokens_kept = [
        _token(owner, sent, expires_at=sent + timedelta(days=14), used_at=cutoff + MINUTE),
        _token(owner, sent, expires_at=cutoff + MINUTE),
        _token(owner, NOW, expires_at=NOW + DAY),
    ]
    years = Counter(row.created_at.year for row in gone)
    sessions_before = {year: _tally("login_sessions", year) for year in years}
    tokens_before = _tally("account_tokens", sent.year)

    report = retention.run(NOW)

    _only_found(
        report,
        {
            "login_sessions": {row.id for row in gone},
            "account_tokens": {row.id for row in tokens_gone},
        },
    )
    assert all(_gone(LoginSession, row.id) for row in gone)
    assert not any(_gone(LoginSession, row.id) for row in kept)
    assert all(_gone(AccountToken, row.id) for row in tokens_gone)
    assert not any(_gone(AccountToken, row.id) for row in tokens_kept)
    # Counted by the year they were made in.
    for year, count in years.items():
        assert _tally("login_sessions", year) == sessions_before[year] + count
    assert _tally("account_tokens", sent.year) == tokens_before + 3


def test_a_cpr_number_without_an_outcome_goes_on_withdrawal_or_a_lapsed_invitation(
    ctx: Flask,
) -> None:
    cutoff = NOW - timedelta(days=30)
    withdrawn = _volunteer(
        NOW - timedelta(days=90),
        state=VolunteerState.WITHDRAWN,
        withdrawn_at=NOW - DAY,
        cpr_ciphertext=b"sealed",
        cpr_given_at=NOW - timedelta(days=60),
    )
    lapsed = _volunteer(
        NOW - timedelta(days=90),
        invitation_expires_at=cutoff - MINUTE,
        cpr_given_at=cutoff - DAY,
        cpr_ciphertext=b"sealed",
    )
    lapsed_recently = _volunteer(
        NOW - timedelta(days=90),
        invitation_expires_at=cutoff + MINUTE,
        cpr_given_at=cutoff - DAY,
        cpr_ciphertext=b"sealed",
    )
    given_recently = _volunteer(
        NOW - timedelta(days=90),
        invitation_expires_at=cutoff - DAY,
        cpr_given_at=cutoff + MINUTE,
        cpr_ciphertext=b"sealed",
    )
    awaiting_check = _volunteer(
        NOW - timedelta(days=400),
        state=VolunteerState.AWAITING_CHECK,
        invitation_expires_at=NOW - timedelta(days=380),
        cpr_given_at=NOW - timedelta(days=390),
        signed_at=NOW - timedelta(days=390),
        cpr_ciphertext=b"sealed",
    )

    report = retention.run(NOW)

    _only_found(report, {"volunteer_cpr": {withdrawn.id, lapsed.id}})
    db.session.expire_all()
    assert withdrawn.cpr_ciphertext is None and lapsed.cpr_ciphertext is None
    assert lapsed.name == "Vera Frivillig"  # only the number goes
    for volunteer in (lapsed_recently, given_recently, awaiting_check):
        assert volunteer.cpr_ciphertext == b"sealed"
    erased = db.session.scalars(
        select(AuditEntry.object_id).where(AuditEntry.action == "volunteer.cpr_erased")
    ).all()
    assert {str(withdrawn.id), str(lapsed.id)} <= set(erased)


def test_volunteers_are_anonymised_five_years_after_their_access_ended(ctx: Flask) -> None:
    cutoff = years_before(NOW, 5)
    created = cutoff - timedelta(days=800)
    org_a = organisation(ORG_A)

    ended = _volunteer(
        created, state=VolunteerState.EXPIRED, check_date=(created + DAY).date(), phone="12345678"
    )
    _grant(ended, valid_until=(cutoff - DAY).date())
    own_account = _person(Role.VOLUNTEER, organisation_id=org_a.id)
    ended.user_id = own_account.id
    receipt = _signature(ended, own_account, created + DAY)

    revoked = _volunteer(created, state=VolunteerState.EXPIRED)
    _grant(revoked, valid_until=(NOW + DAY).date(), ended_at=cutoff - MINUTE)

    withdrawn = _volunteer(created, state=VolunteerState.WITHDRAWN, withdrawn_at=cutoff - MINUTE)
    never_signed = _volunteer(created, invitation_expires_at=created + timedelta(days=14))

    # Kept: access still inside the five years, a recent event, a recent withdrawal, an account
    # with another role (the volunteer goes, the account stays).
    recent_access = _volunteer(created, state=VolunteerState.EXPIRED)
    _grant(recent_access, valid_until=(cutoff + DAY).date())
    recent_event = _volunteer(created, state=VolunteerState.EXPIRED)
    _grant(recent_event, valid_until=(cutoff - DAY).date())
    db.session.add(
        VolunteerEvent(
            volunteer_id=recent_event.id, action="note", text="", created_at=cutoff + MINUTE
        )
    )
    recent_withdrawal = _volunteer(
        created, state=VolunteerState.WITHDRAWN, withdrawn_at=cutoff + MINUTE
    )
    staff_too = _volunteer(created, state=VolunteerState.WITHDRAWN, withdrawn_at=cutoff - DAY)
    staff_account = _person(Role.VOLUNTEER, organisation_id=org_a.id)
    accounts.grant_role(staff_account, Role.NGO_MEMBER, organisation_id=org_a.id)
    staff_too.user_id = staff_account.id
    db.session.flush()
    kept = (recent_access, recent_event, recent_withdrawal)

    report = retention.run(NOW)

    _only_found(
        report, {"volunteers": {v.id for v in (ended, revoked, withdrawn, never_signed, staff_too)}}
    )
    db.session.expire_all()
    for volunteer in (ended, revoked, withdrawn, never_signed, staff_too):
        assert is_anonymised_volunteer(volunteer)
        assert volunteer.name == ANONYMOUS_VOLUNTEER_NAME and volunteer.phone == ""
        assert volunteer.user_id is None
    # The row keeps what statistics need.
    assert ended.state == VolunteerState.EXPIRED and ended.organisation_id == org_a.id
    assert (
        db.session.scalars(select(Signature).where(Signature.volunteer_id == ended.id)).all() == []
    )
    assert (
        db.session.scalar(
            select(AccessGrant.end_text).where(AccessGrant.volunteer_id == revoked.id)
        )
        == ""
    )
    assert _gone(Document, receipt.id)
    assert is_anonymised_user(own_account) and not own_account.active
    assert not is_anonymised_user(staff_account) and staff_account.active
    for volunteer in kept:
        assert not is_anonymised_volunteer(volunteer)
    _commit()
    assert not _exists(receipt.storage_key)


def test_accounts_deactivated_for_twelve_months_are_anonymised(ctx: Flask) -> None:
    cutoff = years_before(NOW, 1)
    old = _person(Role.NGO_MEMBER, organisation_id=organisation(ORG_A).id)
    old.active, old.deactivated_at = False, cutoff - MINUTE
    own_file = _document(OwnerType.USER, old.id, cutoff - DAY)
    _session_row(old, NOW - timedelta(days=2))
    recent = _person()
    recent.active, recent.deactivated_at = False, cutoff + MINUTE
    active = _person()
    active.deactivated_at = None
    # A volunteer's deactivated account waits for the volunteer's own rule.
    volunteer_account = _person(Role.VOLUNTEER, organisation_id=organisation(ORG_A).id)
    volunteer_account.active, volunteer_account.deactivated_at = False, cutoff - DAY
    _volunteer(NOW - DAY, user_id=volunteer_account.id)
    db.session.flush()

    report = retention.run(NOW)

    _only_found(report, {"accounts": {old.id}})
    db.session.expire_all()
    assert is_anonymised_user(old) and old.name == "Slettet bruger" and old.roles == set()
    assert old.password_hash is None
    assert db.session.scalar(select(func.count()).where(LoginSession.user_id == old.id)) == 0
    assert _gone(Document, own_file.id)
    for person in (recent, active, volunteer_account):
        assert not is_anonymised_user(person)
    _commit()
    assert not _exists(own_file.storage_key)
    # Already anonymised: a second run finds nothing.
    assert retention.run(NOW).total == 0


def test_rejected_organisations_lose_documents_and_personal_columns_after_a_year(
    ctx: Flask,
) -> None:
    cutoff = years_before(NOW, 1)
    expired = _organisation(OrganisationState.REJECTED, cutoff - MINUTE)
    statutes = _document(OwnerType.ORGANISATION, expired.id, cutoff - timedelta(days=40))
    recent = _organisation(OrganisationState.REJECTED, cutoff + MINUTE)
    recent_file = _document(OwnerType.ORGANISATION, recent.id, cutoff - timedelta(days=40))
    approved = _organisation(OrganisationState.APPROVED, cutoff - timedelta(days=400))
    tally_before = _tally("rejected_organisations", statutes.uploaded_at.year)

    report = retention.run(NOW)

    _only_found(report, {"rejected_organisations": {expired.id}})
    db.session.expire_all()
    assert expired.name.startswith("Afvist forening") and expired.cvr == "12345674"
    assert (expired.directory_email, expired.directory_phone, expired.decision_reason) == (
        "",
        "",
        "",
    )
    assert expired.created_by_id is None and expired.handled_by_id is None
    event = db.session.scalars(
        select(OrganisationEvent).where(OrganisationEvent.organisation_id == expired.id)
    ).one()
    assert event.text == "" and event.actor_id is None and event.kind == EventKind.MESSAGE
    assert _gone(Document, statutes.id) and not _gone(Document, recent_file.id)
    assert recent.directory_email and approved.decision_reason
    assert _tally("rejected_organisations", statutes.uploaded_at.year) == tally_before + 1
    assert report.documents == 1
    _commit()
    assert not _exists(statutes.storage_key) and _exists(recent_file.storage_key)


def test_activities_lose_personal_text_five_years_after_their_last_date(ctx: Flask) -> None:
    cutoff_day = years_before(NOW, 5).date()
    expired = _activity(cutoff_day - timedelta(days=400), cutoff_day - DAY)
    once = _activity(cutoff_day - DAY)
    repeating = _activity(cutoff_day - timedelta(days=400), cutoff_day + DAY)
    recent = _activity(cutoff_day)

    report = retention.run(NOW)

    _only_found(report, {"activities": {expired.id, once.id}})
    db.session.expire_all()
    for activity in (expired, once):
        assert (activity.decision_reason, activity.cancel_reason) == ("", "")
        assert activity.created_by_id is None and activity.decided_by_id is None
        assert activity.title == "Brætspil i fællesrummet"
        assert len(activity.participants) == 1
        assert activity.participants[0].blocked_reason == ""
        events = db.session.scalars(
            select(ActivityEvent).where(ActivityEvent.activity_id == activity.id)
        ).all()
        assert [(e.action, e.text, e.actor_id) for e in events] == [("message", "", None)]
    for activity in (repeating, recent):
        assert activity.cancel_reason and activity.participants[0].blocked_reason


def test_grant_cases_lose_personal_text_ten_years_after_they_ended(ctx: Flask) -> None:
    cutoff = years_before(NOW, 10)
    closed = _grant_case(ApplicationState.CLOSED, cutoff - MINUTE)
    declined = _grant_case(ApplicationState.DECLINED, cutoff - DAY)
    recent = _grant_case(ApplicationState.CLOSED, cutoff + MINUTE)
    running = _grant_case(ApplicationState.ACCEPTED, cutoff - timedelta(days=30))

    report = retention.run(NOW)

    _only_found(report, {"grants": {closed.id, declined.id}})
    db.session.expire_all()
    for application in (closed, declined):
        assert application.created_by_id is None and application.decided_by_id is None
        assert application.granted_ore == 3_500_000 and application.title
        assert application.decision_reason == ""
        assert application.conditions == "Rapport senest 1. marts"
        event = db.session.scalars(
            select(GrantApplicationEvent).where(
                GrantApplicationEvent.application_id == application.id
            )
        ).one()
        assert event.text == "" and event.actor_id is None
        score = db.session.scalars(
            select(ReviewScore)
            .join(ReviewAssignment)
            .where(ReviewAssignment.application_id == application.id)
        ).one()
        assert score.comment == "" and score.score == 4
        report_row = db.session.scalars(
            select(GrantReport).where(GrantReport.application_id == application.id)
        ).one()
        assert report_row.decision_text == "" and report_row.narrative == "Projektet gik godt."
    for application in (recent, running):
        assert application.created_by_id is not None


def test_contacts_of_an_institution_no_longer_active_are_deleted(ctx: Flask) -> None:
    storstrom = institution(STORSTROM)
    closed = Institution(
        name=f"Lukket Fængsel {uuid.uuid4().hex[:6]}",
        kind=InstitutionKind.CLOSED_PRISON,
        security_level_id=storstrom.security_level_id,
        area_office_id=storstrom.area_office_id,
        active=False,
    )
    db.session.add(closed)
    db.session.flush()
    gone = InstitutionContact(
        institution_id=closed.id, name="Per Portvagt", email="per@example.test"
    )
    kept = InstitutionContact(institution_id=storstrom.id, name="Else Fængselsbetjent")
    db.session.add_all([gone, kept])
    db.session.flush()
    before = _tally("institution_contacts", NOW.year)

    report = retention.run(NOW)

    _only_found(report, {"institution_contacts": {gone.id}})
    assert _gone(InstitutionContact, gone.id) and not _gone(InstitutionContact, kept.id)
    assert _tally("institution_contacts", NOW.year) == before + 1


def test_subject_requests_go_three_years_after_the_answer_with_their_export(ctx: Flask) -> None:
    cutoff = years_before(NOW, 3)
    answered = _subject_request(SubjectRequestState.ANSWERED, cutoff - MINUTE)
    refused = _subject_request(SubjectRequestState.REFUSED, cutoff - DAY)
    recent = _subject_request(SubjectRequestState.ANSWERED, cutoff + MINUTE)
    open_request = _subject_request(SubjectRequestState.IN_PROGRESS, None)
    open_request.received_at = cutoff - timedelta(days=400)
    exports = {
        r.id: db.session.get(Document, r.export_document_id) for r in (answered, refused, recent)
    }
    db.session.flush()

    report = retention.run(NOW)

    _only_found(report, {"subject_requests": {answered.id, refused.id}})
    assert _gone(DataSubjectRequest, answered.id) and _gone(DataSubjectRequest, refused.id)
    assert not _gone(DataSubjectRequest, recent.id) and not _gone(
        DataSubjectRequest, open_request.id
    )
    assert (
        db.session.scalar(
            select(func.count()).where(
                DataSubjectRequestEvent.request_id.in_([answered.id, refused.id])
            )
        )
        == 0
    )
    assert report.documents == 2
    _commit()
    assert not _exists(exports[answered.id].storage_key)
    assert not _exists(exports[refused.id].storage_key)
    assert _exists(exports[recent.id].storage_key)


def test_documents_whose_owner_is_gone_are_deleted_with_their_file(ctx: Flask) -> None:
    orphan = _document(OwnerType.ORGANISATION, uuid.uuid4(), NOW - DAY)
    orphan_of_user = _document(OwnerType.USER, uuid.uuid4(), NOW - DAY)
    owned = _document(OwnerType.ORGANISATION, organisation(ORG_A).id, NOW - DAY)

    report = retention.run(NOW)

    _only_found(report, {"orphaned_documents": {orphan.id, orphan_of_user.id}})
    assert _gone(Document, orphan.id) and not _gone(Document, owned.id)
    _commit()
    assert not _exists(orphan.storage_key) and _exists(owned.storage_key)
    assert _tally("orphaned_documents", (NOW - DAY).year) >= 2


# --- the run ---------------------------------------------------------------------------------


def _some_expired() -> tuple[LoginSession, Volunteer]:
    owner = _person()
    expired_session = _session_row(
        owner, NOW - timedelta(days=40), revoked_at=NOW - timedelta(days=35)
    )
    volunteer = _volunteer(
        NOW - timedelta(days=90),
        state=VolunteerState.WITHDRAWN,
        withdrawn_at=NOW - DAY,
        cpr_ciphertext=b"sealed",
    )
    return expired_session, volunteer


def test_a_dry_run_lists_ids_changes_nothing_and_is_audited(ctx: Flask) -> None:
    expired_session, volunteer = _some_expired()
    tallies_before = db.session.scalar(select(func.sum(RetentionTally.count))) or 0

    report = retention.run(NOW, dry_run=True)

    assert report.dry_run
    _only_found(report, {"login_sessions": {expired_session.id}, "volunteer_cpr": {volunteer.id}})
    db.session.expire_all()
    assert not _gone(LoginSession, expired_session.id)
    assert volunteer.cpr_ciphertext == b"sealed"
    assert (db.session.scalar(select(func.sum(RetentionTally.count))) or 0) == tallies_before
    entry = audit.last_entries(db.session, 1)[0]
    assert entry.action == "retention.dry_run"
    assert entry.details["counts"]["login_sessions"] == 1
    assert entry.details["ids"] == {
        "login_sessions": [str(expired_session.id)],
        "volunteer_cpr": [str(volunteer.id)],
    }
    # Ids only: nothing that names anyone.
    assert "Vera" not in str(entry.details) and "example.test" not in str(entry.details)


def test_a_run_is_audited_counted_and_the_second_run_does_nothing(ctx: Flask) -> None:
    expired_session, _volunteer_row = _some_expired()
    year = expired_session.created_at.year
    before = _tally("login_sessions", year)

    first = retention.run(NOW)

    assert first.counts["login_sessions"] == 1 and first.counts["volunteer_cpr"] == 1
    entry = audit.last_entries(db.session, 1)[0]
    assert entry.action == "retention.run"
    assert entry.details["counts"] == first.counts
    assert entry.details["dry_run"] is False
    assert _tally("login_sessions", year) == before + 1

    second = retention.run(NOW)
    assert second.total == 0
    assert _tally("login_sessions", year) == before + 1
    runs = retention.last_runs(2)
    assert [run.total for run in runs] == [0, 2]

    # Another expired session later adds to the same year's count.
    _session_row(_person(), NOW - timedelta(days=40), revoked_at=NOW - timedelta(days=35))
    retention.run(NOW)
    assert _tally("login_sessions", year) == before + 2


def test_only_runs_the_named_rules(ctx: Flask) -> None:
    expired_session, _volunteer_row = _some_expired()
    report = retention.run(NOW, only=["volunteer_cpr"])
    assert [o.rule.name for o in report.outcomes] == ["volunteer_cpr"]
    assert not _gone(LoginSession, expired_session.id)
    with pytest.raises(ValueError, match="unknown retention rules"):
        retention.run(NOW, only=["no_such_rule"])


# --- the audit log ---------------------------------------------------------------------------


def _record(count: int) -> list[AuditEntry]:
    return [
        audit.record("test.retention", object_type="thing", object_id=n + 1, details={"n": n})
        for n in range(count)
    ]


def _five_years_after(moment: datetime) -> datetime:
    later = (
        moment.replace(year=moment.year + 5)
        if not (moment.month == 2 and moment.day == 29)
        else moment
    )
    assert years_before(later, 5) == moment
    return later


def _allow_tampering() -> None:
    """On PostgreSQL, switch the append-only trigger off for the rest of the rolled-back
    transaction (test_audit.py shows it refusing first)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))


def _pruned_chain() -> tuple[list[AuditEntry], retention.RetentionReport, int]:
    entries = _record(4)
    first_kept = entries[2]
    before_count = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.id < first_kept.id)
    )
    assert audit.verify_chain(db.session).ok
    report = retention.run(_five_years_after(first_kept.occurred_at), only=["audit_log"])
    db.session.expire_all()
    return entries, report, before_count or 0


def test_pruning_the_audit_log_keeps_the_chain_verifiable(ctx: Flask) -> None:
    years = dict(
        db.session.execute(
            select(func.extract("year", AuditEntry.occurred_at), func.count()).group_by(
                func.extract("year", AuditEntry.occurred_at)
            )
        ).all()
    )
    entries, report, pruned = _pruned_chain()
    first_kept = entries[2]

    assert report.counts == {"audit_log": pruned} and pruned >= 2
    assert db.session.scalar(select(func.min(AuditEntry.id))) == first_kept.id
    checkpoint = audit.newest_checkpoint(db.session)
    assert checkpoint is not None
    assert checkpoint.first_kept_id == first_kept.id
    assert checkpoint.anchor_hash == first_kept.prev_hash
    assert checkpoint.pruned_count == pruned
    # The chain itself confirms the checkpoint, then the job's summary follows.
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.id > entries[-1].id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["audit.pruned", "retention.run"]

    result = audit.verify_chain(db.session)
    assert result.ok, result
    assert result.checkpoint is not None and result.checkpoint.id == checkpoint.id
    remaining = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert result.checked == remaining
    assert sum(_tally("audit_log", int(year)) for year in years) >= pruned

    # New entries chain on as before, and a second run prunes nothing more.
    audit.record("test.after_pruning")
    again = retention.run(_five_years_after(first_kept.occurred_at), only=["audit_log"])
    assert again.total == 0
    assert audit.verify_chain(db.session).ok

    cli = ctx.test_cli_runner().invoke(args=["portal", "audit-verify"])
    assert "Audit chain OK" in cli.output, cli.output


@pytest.mark.postgres_only
def test_the_trigger_still_refuses_deletes_outside_the_pruning(ctx: Flask) -> None:
    _pruned_chain()
    target = db.session.scalar(select(func.max(AuditEntry.id)))
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": target})
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(
            text("UPDATE audit_entry SET action = 'x' WHERE id = :id"), {"id": target}
        )


def test_a_pruned_chain_still_detects_a_changed_entry(ctx: Flask) -> None:
    entries, _report, _pruned = _pruned_chain()
    target = entries[3].id
    _allow_tampering()
    db.session.execute(
        text("UPDATE audit_entry SET actor_label = 'someone@example.org' WHERE id = :id"),
        {"id": target},
    )
    db.session.expire_all()
    result = audit.verify_chain(db.session)
    assert not result.ok and result.broken_id == target
    assert "changed" in result.reason


def test_a_pruned_chain_detects_a_removed_first_entry(ctx: Flask) -> None:
    entries, _report, _pruned = _pruned_chain()
    _allow_tampering()
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[2].id})
    db.session.expire_all()
    result = audit.verify_chain(db.session)
    assert not result.ok and result.broken_id == entries[3].id
    assert "missing" in result.reason


def test_a_forged_checkpoint_does_not_verify(ctx: Flask) -> None:
    entries, _report, _pruned = _pruned_chain()
    # Someone removes two more entries and writes a checkpoint that would hide it.
    _allow_tampering()
    db.session.execute(
        text("DELETE FROM audit_entry WHERE id IN (:a, :b)"),
        {"a": entries[2].id, "b": entries[3].id},
    )
    following = db.session.scalars(
        select(AuditEntry).where(AuditEntry.id > entries[3].id).order_by(AuditEntry.id).limit(1)
    ).one()
    db.session.add(
        AuditCheckpoint(
            first_kept_id=following.id,
            anchor_hash=following.prev_hash,
            pruned_count=2,
            pruned_before=NOW,
        )
    )
    db.session.flush()
    db.session.expire_all()
    result = audit.verify_chain(db.session)
    assert not result.ok and "not confirmed" in result.reason


# --- the command and the page ----------------------------------------------------------------


def test_the_cli_dry_run_lists_and_the_run_deletes(app: Flask) -> None:
    with app.test_request_context():
        expired_session, _volunteer_row = _some_expired()
        session_id = expired_session.id
        db.session.commit()
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["portal", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run (nothing changed)" in dry.output
    assert f"    {session_id}" in dry.output
    with app.app_context():
        assert not _gone(LoginSession, session_id)
        assert audit.last_entries(db.session, 1)[0].action == "retention.dry_run"

    day = (NOW + DAY).strftime("%Y-%m-%d")
    real = runner.invoke(args=["portal", "retention", "--at", day])
    assert real.exit_code == 0, real.output
    assert "Retention run as of" in real.output
    assert "login_sessions" in real.output and str(session_id) not in real.output
    with app.app_context():
        assert _gone(LoginSession, session_id)
        entry = audit.last_entries(db.session, 1)[0]
        assert entry.action == "retention.run"
        assert entry.details["at"].startswith(day)

    again = runner.invoke(args=["portal", "retention"])
    assert "Total: 0 rows" in again.output


def test_the_dpo_page_shows_rules_pending_counts_runs_and_tallies(
    app: Flask, login_as: Any
) -> None:
    client = login_as("dpo")
    empty = client.get("/databeskyttelse/sletning")
    assert empty.status_code == 200
    page = empty.get_data(as_text=True)
    assert "flask portal retention" in page
    for rule in RULES:
        assert f'data-rule="{rule.name}"' in page
    assert 'data-pending="1"' not in page

    with app.test_request_context():
        _some_expired()
        db.session.commit()
    pending = client.get("/databeskyttelse/sletning").get_data(as_text=True)
    assert pending.count('data-pending="1"') == 2

    with app.test_request_context():
        retention.run()
        db.session.commit()
    after = client.get("/databeskyttelse/sletning").get_data(as_text=True)
    assert 'data-pending="1"' not in after
    assert "data-retention-runs" in after and "Log-in-sessioner: 1" in after
    assert "data-retention-tallies" in after
