"""The access export (SECURITY.md 21): a ZIP with all of one person's data and nothing of
anyone else's.

One person is built through the real services so that they are in every part of the portal:
an NGO admin of organisation A, a volunteer in organisations A and B (signatures, receipts,
the register check, preparation, access), who proposed an activity they take part in, wrote a
grant application and a message on it, uploaded a document, accepted terms for a new
organisation, logged in, linked an external identity and asked for access to their data.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_login import login_user, logout_user
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal import audit, cpr, db, storage
from portal.db import Base, utcnow
from portal.models import (
    AuditEntry,
    CheckOutcome,
    DataSubjectRequest,
    Document,
    IdentityMethod,
    InstitutionContact,
    Municipality,
    OwnerType,
    Role,
    Signature,
    SubjectRequestKind,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import (
    accounts,
    activities,
    activity_workflow,
    calendar_feeds,
    clearance,
    documents,
    grant_applications,
    grant_workflow,
    identities,
    onboarding,
    signing,
    subject_data,
    subject_export,
    volunteers,
)
from portal.services.demo import DEMO_PDF
from portal.services.volunteer_status import today
from tests import grant_data
from tests.activity_data import (
    ORG_A,
    ORG_B,
    VESTRE,
    in_days,
    institution,
    organisation,
    proposal,
    user,
)

NAME = "Ingeborg Toftegaard"
EMAIL = "ingeborg.toftegaard@example.test"
PASSWORD = "en lang adgangskode til Ingeborg"
PHONE = "+45 61 72 83 94"
BORN = date(1985, 3, 24)
CPR = "240385-2917"  # fits BORN
IP = "198.51.100.77"
AGENT = "Ingeborgs browser/7.3 (testmaskine)"
OESTJYLLAND = "Østjyllands Fængsel"
# Typed by organisation A's admin: another person's name, which must never reach the export.
PREPARED_BY = "Amalie Andersen"


@dataclass
class Person:
    user: User
    volunteers: list[Volunteer]
    request: DataSubjectRequest
    # Every value the person entered (or that was entered about them), as it must appear.
    entered: list[str] = field(default_factory=list)


def _sign(volunteer: Volunteer, person: User) -> None:
    """The volunteer signs every declaration through the real signing service."""
    signing.attach_account(volunteer, person)
    signing.give_cpr(volunteer, CPR)
    proof = signing.prove_birth_date(volunteer, BORN, IdentityMethod.LINK_BIRTH_DATE)
    pending = signing.pending_declarations(volunteer, "da")
    signing.sign_declarations(
        volunteer,
        person,
        proof,
        language="da",
        act="Jeg underskriver",
        shown=signing.shown_digest(pending),
        ip_address=IP,
        user_agent=AGENT,
    )


def _register(org_name: str, actor: User, person: User) -> Volunteer:
    volunteer = volunteers.register(
        organisation(org_name),
        actor,
        volunteers.NewVolunteer(name=NAME, email=EMAIL, birth_date=BORN, phone=PHONE),
    )
    _sign(volunteer, person)
    return volunteer


def build_person() -> Person:
    """The person, present in every part of the portal (inside an app context)."""
    entered = [NAME, EMAIL, PHONE, BORN.isoformat(), IP, AGENT]
    person = accounts.create_user(EMAIL, NAME, PASSWORD)
    accounts.grant_role(person, Role.NGO_ADMIN, organisation_id=organisation(ORG_A).id)

    # A volunteer in two organisations, checked, prepared and given access.
    volunteer_a = _register(ORG_A, person, person)
    volunteer_b = _register(ORG_B, user("ngo_b_admin"), person)
    reason = "Forhold ligger mere end ti år tilbage og har ingen betydning for besøg"
    clearance.record_outcome(
        volunteer_a,
        user("caseworker_ost"),
        outcome=CheckOutcome.CLEARED_AFTER_ASSESSMENT,
        check_date=today(),
        reason=reason,
    )
    clearance.record_outcome(
        volunteer_b, user("caseworker_vest"), outcome=CheckOutcome.CLEARED, check_date=today()
    )
    material = "Gennemgang af sikkerhedsregler og tavshedspligt for Ingeborgs hold"
    volunteers.add_preparation(volunteer_a, person, today(), material, PREPARED_BY)
    volunteers.add_preparation(volunteer_b, user("ngo_b_admin"), today(), material, PREPARED_BY)
    clearance.grant_access(volunteer_a, user("caseworker_ost"), [institution(VESTRE)])
    clearance.grant_access(volunteer_b, user("caseworker_vest"), [institution(OESTJYLLAND)])
    entered += [reason, material]

    # An activity the person proposed and takes part in, with a message.
    title = f"Skakklub med Ingeborg {uuid.uuid4().hex[:6]}"
    description = "Ugentlig skak og samtale; Ingeborg medbringer brætter af pap."
    target = "Indsatte, der kan lide brætspil"
    activity = activities.propose(
        organisation(ORG_A),
        proposal(
            VESTRE,
            [volunteer_a],
            title=title,
            description=description,
            target_group=target,
            place="Fællesrummet i afdeling C",
        ),
        person,
    )
    message = "Vi kommer ti minutter før, så porten ved besked."
    activity_workflow.post_message(activity, person, message)
    entered += [title, description, target, "Fællesrummet i afdeling C", message]

    # A grant application the person wrote and sent, and a message on it.
    grant_round = grant_data.open_round()
    application = grant_applications.start(
        grant_round, organisation(ORG_A), person, grant_data.DURING
    )
    app_title = "Skak bag murene, Ingeborgs projekt"
    summary = "Frivillige lærer indsatte skak og holder turneringer hver måned."
    grant_applications.save(
        application,
        person,
        grant_data.content(title=app_title, summary=summary),
        grant_data.good_lines(),
        now=grant_data.DURING,
    )
    assert grant_applications.submit(application, person, now=grant_data.DURING) == []
    grant_message = "Må vi bruge en del af beløbet til præmier? Venlig hilsen Ingeborg"
    grant_workflow.post_message(application, person, grant_message)
    entered += [app_title, summary, grant_message]

    # A document uploaded for organisation A.
    documents.store(
        FileStorage(stream=io.BytesIO(DEMO_PDF), filename="Ingeborgs turneringsplan.pdf"),
        owner_type=OwnerType.ORGANISATION,
        owner_id=organisation(ORG_A).id,
        purpose="attachment",
        uploaded_by=person,
        description="Plan for skakturneringer, skrevet af Ingeborg",
    )
    entered += ["Ingeborgs turneringsplan.pdf", "Plan for skakturneringer, skrevet af Ingeborg"]

    # A new organisation started by the person, whose terms they accepted.
    municipality = db.session.scalar(select(Municipality).where(Municipality.name == "Roskilde"))
    assert municipality is not None
    draft = onboarding.start_draft(
        person,
        {
            "name": "Skakforeningen Springeren",
            "cvr": "10000009",
            "municipality_id": municipality.id,
        },
    )
    onboarding.accept_terms(draft, person, onboarding.current_terms(), IP)
    entered.append("Skakforeningen Springeren")

    # The organisation's calendar address, made by the person.
    calendar_feeds.create(organisation(ORG_A), person)

    # Logging in, a forgotten password, an identity at a provider, and a request for access.
    accounts.start_login_session(person, method="password", ip=IP, user_agent=AGENT)
    accounts.request_password_reset(EMAIL)
    subject = f"sub-ingeborg-{uuid.uuid4().hex[:8]}"
    identities.link_identity(person, "mitid-test", "https://broker.example.test", subject)
    entered.append(subject)
    ask = "Jeg vil gerne se alt, I har om mig, også fra min tid i Vestjylland."
    request = DataSubjectRequest(
        kind=SubjectRequestKind.ACCESS,
        subject_user_id=person.id,
        subject_name=NAME,
        subject_email=EMAIL,
        description=ask,
        due_on=in_days(30),
        original_due_on=in_days(30),
    )
    db.session.add(request)
    db.session.flush()
    entered.append(ask)
    return Person(person, [volunteer_a, volunteer_b], request, entered)


def other_people(person: Person) -> list[str]:
    """The names and e-mail addresses of everyone else in the database."""
    mine = {v.id for v in person.volunteers}
    values: set[str] = set()
    for other in db.session.scalars(select(User).where(User.id != person.user.id)):
        values |= {other.name, other.email}
    for volunteer in db.session.scalars(select(Volunteer)):
        if volunteer.id not in mine:
            values |= {volunteer.name, volunteer.email}
    for contact in db.session.scalars(select(InstitutionContact)):
        values |= {contact.name, contact.email}
    values.add(PREPARED_BY)
    # Another person who shares the person's name is not someone else's data in the export.
    return sorted(value for value in values if value and value not in (NAME, EMAIL))


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    """Without any white space (a PDF breaks long values over lines)."""
    return re.sub(r"\s+", "", text)


def stored(document_id: uuid.UUID) -> bytes:
    document = db.session.get(Document, document_id)
    assert document is not None
    return b"".join(documents.open_document(document))


# --- the export ------------------------------------------------------------------------------


@pytest.mark.real_pdf
def test_the_export_holds_everything_the_person_entered_and_nothing_of_anyone_else(
    app_ctx: Flask, outbox: list[Any]
) -> None:
    person = build_person()
    files = unzip(subject_export.build_zip(person.user))

    assert {"LÆSMIG.txt", "oplysninger.json", "oversigt.pdf"} <= set(files)
    data = json.loads(files["oplysninger.json"].decode("utf-8"))
    text = json.dumps(data, ensure_ascii=False)

    # Every part is there, and every part has the person in it.
    assert list(data)[1:] == list(subject_data.PART_KEYS)
    empty = [key for key in subject_data.PART_KEYS if not data[key]]
    assert empty == ["kontaktoplysninger"], empty  # the person is not Kriminalforsorgen's
    for value in person.entered:
        assert value in text, value

    # Two registrations as volunteer, each with its signatures, access and preparation.
    assert sorted(row["organisation"] for row in data["frivillig"]) == sorted([ORG_A, ORG_B])
    assert {row["organisation"] for row in data["underskrifter"]} == {ORG_A, ORG_B}
    assert {row["institution"] for row in data["adgange"]} == {VESTRE, OESTJYLLAND}
    assert all(row["forberedt af"] != PREPARED_BY for row in data["forberedelser"])
    kinds = {row["type"] for row in data["aktiviteter"]}
    assert {"Deltager", "Foreslået af dig", "Din handling eller besked"} <= kinds
    assert "evidence_mac" not in text
    shown = {row["tekst, som den blev vist"] for row in data["underskrifter"]}
    for signature in db.session.scalars(
        select(Signature).where(Signature.volunteer_id.in_([v.id for v in person.volunteers]))
    ):
        assert signature.evidence_mac not in text
        assert signature.text_shown in shown

    # The receipts are in the ZIP, byte for byte, where the JSON says.
    receipt_ids = set(
        db.session.scalars(
            select(Signature.receipt_document_id).where(
                Signature.volunteer_id.in_([v.id for v in person.volunteers])
            )
        )
    )
    assert len(receipt_ids) == 2
    paths = {row["kvittering"] for row in data["underskrifter"]}
    assert len(paths) == 2
    for receipt_id in receipt_ids:
        document = db.session.get(Document, receipt_id)
        assert document is not None
        path = next(
            row["fil i udtrækket"]
            for row in data["dokumenter"]
            if row["sha-256"] == document.sha256
        )
        assert path in paths
        assert files[path] == stored(receipt_id)
    # The organisation's document is listed, not copied: it is the organisation's.
    assert {name for name in files if name.startswith("dokumenter/")} == paths
    [uploaded] = [row for row in data["dokumenter"] if row["hører til"] == ORG_A]
    assert uploaded["fil i udtrækket"] is None

    # Nobody else: not in the JSON, the summary, the receipts, the read-me or a file name.
    readable = {
        "oplysninger.json": text,
        "LÆSMIG.txt": files["LÆSMIG.txt"].decode("utf-8"),
        "file names": "\n".join(files),
    }
    for name, content in files.items():
        if name.endswith(".pdf"):
            readable[name] = pdf_text(content)
    summary = squeeze(readable["oversigt.pdf"])
    assert squeeze(NAME) in summary and squeeze(EMAIL) in summary
    assert squeeze("Skak bag murene") in summary
    for other in other_people(person):
        for name, content in readable.items():
            assert other not in content, (other, name)
            assert squeeze(other) not in squeeze(content), (other, name)


def test_the_audit_entries_show_other_people_only_by_role(app_ctx: Flask) -> None:
    person = accounts.create_user("karl.krog@example.test", "Karl Krog", None)
    volunteer = Volunteer(
        organisation_id=organisation(ORG_A).id,
        user_id=person.id,
        name="Karl Krog",
        email="karl.krog@example.test",
        birth_date=BORN,
        state=VolunteerState.AWAITING_CHECK,
    )
    db.session.add(volunteer)
    db.session.flush()
    volunteer.cpr_ciphertext = cpr.encrypt(CPR.replace("-", ""), volunteer.id)
    caseworker = user("caseworker_ost")
    login_user(caseworker)  # the audit log takes the actor from the request
    clearance.record_outcome(
        volunteer, caseworker, outcome=CheckOutcome.CLEARED, check_date=today()
    )
    logout_user()
    accounts.start_login_session(person, method="password", ip=IP, user_agent=AGENT)

    entries = subject_export.collect(person)["hændelser"]
    checked = [row for row in entries if row["handling"] == "volunteer.check_recorded"]
    assert [row["udført af"] for row in checked] == ["en medarbejder i Kriminalforsorgen"]
    assert checked[0]["ip-adresse"] is None and checked[0]["browser"] is None
    [login] = [row for row in entries if row["handling"] == "auth.login"]
    # The person's own entries keep where they came from (empty here: a test request).
    assert (login["udført af"], login["ip-adresse"], login["browser"]) == ("dig", "", "")
    text = json.dumps(entries, ensure_ascii=False)
    assert caseworker.email not in text and caseworker.name not in text
    assert str(caseworker.id) not in text


def test_audit_details_hide_other_peoples_addresses_and_ids(app_ctx: Flask) -> None:
    person = accounts.create_user("lis.lykke@example.test", "Lis Lykke", None)
    other = user("ngo_a_member")
    audit.record(
        "test.invited",
        object_type="user",
        object_id=other.id,
        details={
            "email": other.email,
            "user_id": str(other.id),
            "own": str(person.id),
            "evidence_mac": "f" * 64,
        },
        actor_id=str(person.id),
    )
    [row] = [
        r for r in subject_export.collect(person)["hændelser"] if r["handling"] == "test.invited"
    ]
    assert row["objektets id"] == "[skjult]"
    assert row["detaljer"] == {"email": "[skjult]", "user_id": "[skjult]", "own": str(person.id)}


def test_an_institution_contact_with_the_persons_address_is_theirs(app_ctx: Flask) -> None:
    person = accounts.create_user("lone.lund@example.test", "Lone Lund", None)
    db.session.add(
        InstitutionContact(
            institution_id=institution(VESTRE).id,
            name="Lone Lund",
            title="Fritidsmedarbejder",
            email="Lone.Lund@example.test",
            phone="+45 33 44 55 66",
        )
    )
    db.session.flush()
    [row] = subject_export.collect(person)["kontaktoplysninger"]
    assert (row["institution"], row["funktion"], row["telefon"]) == (
        VESTRE,
        "Fritidsmedarbejder",
        "+45 33 44 55 66",
    )


def test_a_registration_linked_to_another_account_is_not_the_persons(app_ctx: Flask) -> None:
    person = accounts.create_user("olga.olsen@example.test", "Olga Olsen", None)
    someone = accounts.create_user("olga.andersen@example.test", "Olga Andersen", None)
    mine = Volunteer(
        organisation_id=organisation(ORG_B).id,
        name="Olga Olsen",
        email="OLGA.OLSEN@example.test",
        birth_date=BORN,
    )
    theirs = Volunteer(
        organisation_id=organisation(ORG_A).id,
        user_id=someone.id,
        name="Olga Andersen",
        email="olga.olsen@example.test",
        birth_date=BORN,
    )
    db.session.add_all([mine, theirs])
    db.session.flush()
    assert [v.id for v in subject_data.volunteers_of(person)] == [mine.id]


# --- keeping the export ----------------------------------------------------------------------


def _request_for(person: User) -> DataSubjectRequest:
    request = DataSubjectRequest(
        kind=SubjectRequestKind.ACCESS,
        subject_user_id=person.id,
        subject_name=person.name,
        subject_email=person.email,
        due_on=in_days(30),
        original_due_on=in_days(30),
    )
    db.session.add(request)
    db.session.flush()
    return request


def _exports_audited(request: DataSubjectRequest) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == "privacy.export_made", AuditEntry.object_id == str(request.id)
            )
            .order_by(AuditEntry.id)
        )
    )


def test_the_export_is_kept_as_the_persons_document_and_audited_without_personal_data(
    app_ctx: Flask,
) -> None:
    volunteer = user("volunteer")
    request = _request_for(volunteer)
    document = subject_export.store_export(request, user("dpo"))

    assert request.export_document_id == document.id
    assert (document.owner_type, document.owner_id) == (OwnerType.USER, volunteer.id)
    assert document.purpose == "subject_export"
    assert document.content_type == "application/zip"
    assert (
        document.original_name.startswith("indsigt-")
        and volunteer.name not in document.original_name
    )
    content = stored(document.id)
    data = json.loads(unzip(content)["oplysninger.json"])
    assert data["konto"][0]["e-mail"] == volunteer.email

    [entry] = _exports_audited(request)
    assert entry.actor_id == str(user("dpo").id)
    assert entry.details["counts"]["frivillig"] == len(data["frivillig"])
    details = json.dumps(entry.details, ensure_ascii=False)
    assert volunteer.name not in details and volunteer.email not in details

    # A second export replaces the first; the first file goes when the change commits.
    first_key = document.storage_key
    second = subject_export.store_export(request, user("dpo"))
    assert request.export_document_id == second.id
    assert db.session.get(Document, document.id) is None
    db.session.commit()
    assert not storage.get_storage().exists(first_key)
    assert len(_exports_audited(request)) == 2
    # An earlier export is listed in the next one, never copied into it.
    again = unzip(stored(second.id))
    assert not any(name.endswith(".zip") for name in again)


def test_a_storage_failure_records_nothing(app_ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    request = _request_for(user("volunteer"))
    documents_before = db.session.scalar(select(func.count()).select_from(Document))

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise storage.StorageError("the store is down")

    monkeypatch.setattr(storage.get_storage(), "put", refuse)
    with pytest.raises(subject_export.ExportError) as raised:
        subject_export.store_export(request, user("dpo"))
    assert "Intet er gemt" in str(raised.value.message)
    assert request.export_document_id is None
    assert db.session.scalar(select(func.count()).select_from(Document)) == documents_before
    assert _exports_audited(request) == []


def test_a_request_without_an_account_cannot_be_exported(app_ctx: Flask) -> None:
    request = DataSubjectRequest(
        kind=SubjectRequestKind.ACCESS,
        subject_name="Brevskriver",
        subject_email="brev@example.test",
        due_on=in_days(30),
        original_due_on=in_days(30),
    )
    db.session.add(request)
    db.session.flush()
    with pytest.raises(subject_export.ExportError):
        subject_export.store_export(request, user("dpo"))
    assert _exports_audited(request) == []


# --- every declared table is considered -------------------------------------------------------

# Tables that never hold data about a person as such (if one is given a declaration, it is
# for who changed it, which the export shows where the table is covered instead).
NOT_ABOUT_A_PERSON = {
    "retention_tally": "counts per rule and year, no rows about anyone",
    "audit_checkpoint": "where the audit chain starts after pruning; hashes and counts",
    "budget_line": "the organisation's budget, not a person's",
    "grant_report_line": "the organisation's accounts per budget line",
    "application_attachment": "links an organisation's document to its application",
    "rubric_criterion": "the round's scoring criteria",
    "terms_version": "published terms texts",
    "rule_profile": "rules per security level",
    "institution_rules": "an institution's rules",
    "institution": "the prisons and offices themselves",
    "institution_section": "parts of an institution",
    "area_office": "Kriminalforsorgen's offices",
    "municipality": "reference data",
    "security_level": "reference data",
}


def declared_tables() -> dict[str, type]:
    return {
        mapper.class_.__tablename__: mapper.class_
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "__privacy__", None) is not None
    }


def test_every_declared_table_is_in_the_export_or_explained() -> None:
    covered = {model.__tablename__ for model in subject_data.COVERED_MODELS}
    missing = sorted(set(declared_tables()) - covered - set(NOT_ABOUT_A_PERSON))
    assert missing == [], f"add these to subject_data.COVERED_MODELS or explain: {missing}"
    assert set(subject_data.COVERED_MODELS.values()) <= set(subject_data.PART_KEYS)
    tables = {mapper.class_.__tablename__ for mapper in Base.registry.mappers}
    assert set(NOT_ABOUT_A_PERSON) <= tables
    assert not covered & set(NOT_ABOUT_A_PERSON)


def test_the_export_says_when_and_how_much(app_ctx: Flask) -> None:
    data = subject_export.collect(user("volunteer"))
    about = data["om-udtrækket"]
    made = datetime.fromisoformat(about["lavet"])
    assert abs(made - utcnow()) < timedelta(minutes=1)
    assert about["antal"] == {key: len(data[key]) for key in subject_data.PART_KEYS}
    assert about["person"]["e-mail"] == "volunteer@example.org"
