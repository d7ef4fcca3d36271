"""The onboarding workflow as a service: every transition allowed and refused by role and state,
the required texts, history, audit and e-mails, hand-over, and optimistic locking (SECURITY.md
item 15), including two real transactions deciding the same case at once on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from portal import audit, create_app, db, migrate
from portal.models import (
    AreaOffice,
    AuditEntry,
    EventKind,
    Organisation,
    OrganisationEvent,
    OrganisationState,
    Role,
    User,
)
from portal.services import accounts, workflow
from portal.services.accounts import find_user_by_email
from portal.services.workflow import TRANSITIONS, Actor, ConflictError, WorkflowError
from tests.conftest import app_settings
from tests.databases import TestDatabase
from tests.roles import ROLE_ACCOUNTS

S = OrganisationState
ORG_A = "Foreningen Nyt Netværk"  # Øst, with an NGO admin and an NGO member
ORG_C = "Gældsrådgivning Sjælland"  # Øst, submitted
ORG_D = "Fynske Mentorer"  # Vest, in review


# The flow of DESIGN.md written out by hand, so the table in workflow.py is checked against it
# and not only against itself: action -> (from states, to state, who may).
FLOW: dict[str, tuple[frozenset[OrganisationState], OrganisationState, Actor]] = {
    "submit": (frozenset({S.DRAFT}), S.SUBMITTED, Actor.ORGANISATION_ADMIN),
    "take": (frozenset({S.SUBMITTED, S.IN_REVIEW}), S.IN_REVIEW, Actor.CASEWORKER),
    "request_information": (frozenset({S.IN_REVIEW}), S.MORE_INFORMATION, Actor.CASEWORKER),
    "answer": (frozenset({S.MORE_INFORMATION}), S.SUBMITTED, Actor.ORGANISATION_STAFF),
    "approve": (frozenset({S.IN_REVIEW}), S.APPROVED, Actor.CASEWORKER),
    "reject": (frozenset({S.IN_REVIEW}), S.REJECTED, Actor.CASEWORKER),
    "hand_over": (
        frozenset({S.SUBMITTED, S.IN_REVIEW, S.MORE_INFORMATION}),
        S.SUBMITTED,
        Actor.CASEWORKER,
    ),
    "suspend": (frozenset({S.APPROVED}), S.SUSPENDED, Actor.CASEWORKER),
    "reinstate": (frozenset({S.SUSPENDED}), S.APPROVED, Actor.CASEWORKER),
}
NEEDS_TEXT = {"request_information", "answer", "reject", "hand_over", "suspend"}

# The people tried on organisation A (area office Øst).
ACTORS = ("caseworker_ost", "caseworker_vest", "ngo_a_admin", "ngo_a_member", "admin")
MAY_ACT_AS = {
    Actor.CASEWORKER: {"caseworker_ost"},
    Actor.ORGANISATION_ADMIN: {"ngo_a_admin"},
    Actor.ORGANISATION_STAFF: {"ngo_a_admin", "ngo_a_member"},
}


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context outside any request: mail is delivered at once (to ``outbox``)."""
    with app.app_context():
        yield


def _organisation(name: str) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    assert found is not None, name
    return found


def _user(role: str) -> User:
    found = find_user_by_email(ROLE_ACCOUNTS[role])
    assert found is not None, role
    return found


def _in_state(name: str, state: OrganisationState) -> Organisation:
    organisation = _organisation(name)
    organisation.state = state
    db.session.flush()
    return organisation


def _events(organisation: Organisation) -> list[OrganisationEvent]:
    return workflow.history(organisation)


def _audit_count(organisation: Organisation, action: str | None = None) -> int:
    query = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.object_id == str(organisation.id))
    )
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return db.session.scalar(query) or 0


def test_the_transition_table_is_the_designed_flow() -> None:
    table = {t.action: (t.from_states, t.to_state, t.actor) for t in TRANSITIONS}
    assert table == FLOW
    assert {t.action for t in TRANSITIONS if t.needs_text} == NEEDS_TEXT
    assert len(workflow.BY_ACTION) == len(TRANSITIONS), "an action is listed twice"


@dataclass(frozen=True)
class Case:
    action: str
    state: OrganisationState
    actor: str

    @property
    def allowed(self) -> bool:
        from_states, _to, who = FLOW[self.action]
        return self.state in from_states and self.actor in MAY_ACT_AS[who]


CASES = [
    pytest.param(Case(t.action, state, actor), id=f"{t.action}-{state.value}-{actor}")
    for t in TRANSITIONS
    for state in OrganisationState
    for actor in ACTORS
]


@pytest.mark.parametrize("case", CASES)
def test_transition_by_role_and_state(ctx: None, outbox: list[Any], case: Case) -> None:
    organisation = _in_state(ORG_A, case.state)
    user = _user(case.actor)
    version = organisation.version
    events_before = len(_events(organisation))
    audits_before = _audit_count(organisation)

    in_list = case.action in {t.action for t in workflow.available(user, organisation)}
    assert in_list == case.allowed

    if not case.allowed:
        with pytest.raises(WorkflowError) as refused:
            workflow.apply(
                organisation, case.action, user, text="En begrundelse", expected_version=version
            )
        assert not isinstance(refused.value, ConflictError)
        assert str(refused.value.message)
        assert organisation.state == case.state
        assert organisation.version == version
        assert len(_events(organisation)) == events_before
        assert _audit_count(organisation) == audits_before
        assert outbox == []
        return

    workflow.apply(
        organisation, case.action, user, text="  En begrundelse  ", expected_version=version
    )
    _from, to_state, _who = FLOW[case.action]
    assert organisation.state == to_state
    assert organisation.version > version
    transition_events = [e for e in _events(organisation) if e.kind == EventKind.TRANSITION]
    last = transition_events[-1]
    assert (last.action, last.from_state, last.to_state) == (
        case.action,
        case.state.value,
        to_state.value,
    )
    assert last.actor_id == user.id
    # The answer's text is its own event (the organisation's words); the rest keep it here.
    expected_text = "" if case.action == "answer" else "En begrundelse"
    assert last.text == expected_text
    assert _audit_count(organisation, f"organisation.{case.action}") == 1
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == f"organisation.{case.action}")
        .order_by(AuditEntry.id.desc())
    )
    assert entry is not None
    assert entry.details["from"] == case.state.value
    assert entry.details["to"] == to_state.value


@pytest.mark.parametrize("action", sorted(NEEDS_TEXT))
@pytest.mark.parametrize("text", ["", "   \n  "])
def test_a_required_text_cannot_be_left_empty(
    ctx: None, outbox: list[Any], action: str, text: str
) -> None:
    from_states, _to, who = FLOW[action]
    organisation = _in_state(ORG_A, sorted(from_states)[0])
    user = _user(sorted(MAY_ACT_AS[who])[0])
    state, version = organisation.state, organisation.version
    with pytest.raises(WorkflowError, match="Skriv en begrundelse eller besked"):
        workflow.apply(organisation, action, user, text=text, expected_version=version)
    assert (organisation.state, organisation.version) == (state, version)
    assert outbox == []


def test_an_unknown_action_is_refused(ctx: None) -> None:
    organisation = _organisation(ORG_C)
    with pytest.raises(WorkflowError, match="Handlingen findes ikke"):
        workflow.apply(organisation, "delete", _user("caseworker_ost"))
    assert organisation.state == S.SUBMITTED


def test_decisions_set_their_columns(ctx: None) -> None:
    caseworker = _user("caseworker_ost")
    organisation = _organisation(ORG_C)
    workflow.apply(organisation, "take", caseworker)
    assert organisation.handled_by_id == caseworker.id
    workflow.apply(organisation, "reject", caseworker, text="Uden for formålet")
    assert organisation.decided_at is not None
    assert organisation.decision_reason == "Uden for formålet"

    approved = _organisation(ORG_A)
    workflow.apply(approved, "suspend", caseworker, text="Brud på sikkerhedsreglerne")
    assert approved.suspension_reason == "Brud på sikkerhedsreglerne"
    workflow.apply(approved, "reinstate", caseworker)
    assert approved.suspension_reason == ""
    assert approved.state == S.APPROVED


def test_history_is_in_order_with_who_did_what(ctx: None) -> None:
    caseworker = _user("caseworker_ost")
    organisation = _organisation(ORG_C)
    before = [e.action for e in _events(organisation)]
    workflow.apply(organisation, "take", caseworker)
    workflow.post_message(organisation, caseworker, "Vi kigger på det i næste uge.")
    workflow.apply(organisation, "request_information", caseworker, text="Send regnskabet.")
    events = _events(organisation)
    assert [e.action for e in events] == [*before, "take", "message", "request_information"]
    assert events[-2].kind == EventKind.MESSAGE
    assert events[-2].text == "Vi kigger på det i næste uge."
    assert {e.actor_id for e in events[-3:]} == {caseworker.id}


# --- e-mails ----------------------------------------------------------------------------------


def _mail_to(outbox: list[Any]) -> dict[str, Any]:
    return {message.to: message for message in outbox}


@pytest.mark.parametrize(
    ("organisation_name", "state", "actor", "action", "recipients"),
    [
        (ORG_A, S.DRAFT, "ngo_a_admin", "submit", {"ngo_a_admin", "caseworker_ost"}),
        (ORG_C, S.SUBMITTED, "caseworker_ost", "take", set()),
        (ORG_A, S.IN_REVIEW, "caseworker_ost", "request_information", {"ngo_a_admin"}),
        (ORG_A, S.MORE_INFORMATION, "ngo_a_member", "answer", {"caseworker_ost"}),
        (ORG_A, S.IN_REVIEW, "caseworker_ost", "approve", {"ngo_a_admin"}),
        (ORG_A, S.IN_REVIEW, "caseworker_ost", "reject", {"ngo_a_admin"}),
        (ORG_A, S.IN_REVIEW, "caseworker_ost", "hand_over", {"caseworker_vest"}),
        (ORG_A, S.APPROVED, "caseworker_ost", "suspend", {"ngo_a_admin"}),
        (ORG_A, S.SUSPENDED, "caseworker_ost", "reinstate", {"ngo_a_admin"}),
    ],
)
def test_the_people_concerned_get_an_email(
    ctx: None,
    outbox: list[Any],
    organisation_name: str,
    state: OrganisationState,
    actor: str,
    action: str,
    recipients: set[str],
) -> None:
    organisation = _in_state(organisation_name, state)
    workflow.apply(organisation, action, _user(actor), text="Teksten til sagen")
    sent = _mail_to(outbox)
    assert set(sent) == {ROLE_ACCOUNTS[r] for r in recipients}
    if action != "submit":  # sending is the one action whose actor gets a mail: the receipt
        assert ROLE_ACCOUNTS[actor] not in sent, "the one who acted is not told"
    for role in recipients:
        message = sent[ROLE_ACCOUNTS[role]]
        assert organisation.name in message.subject
        assert message.body.startswith("Kære ")
        assert "Teksten til sagen" in message.body
        # Staff are sent to the case page, the organisation to its own status page.
        assert str(organisation.id) in message.body
        assert (f"/sager/{organisation.id}" in message.body) == role.startswith("caseworker")


def test_each_recipient_gets_the_email_in_their_own_language(ctx: None, outbox: list[Any]) -> None:
    admin = _user("ngo_a_admin")
    admin.language = "en"
    second_admin = _user("ngo_a_member")
    accounts.grant_role(second_admin, Role.NGO_ADMIN, organisation_id=_organisation(ORG_A).id)
    organisation = _in_state(ORG_A, S.IN_REVIEW)
    workflow.apply(organisation, "approve", _user("caseworker_ost"))
    sent = _mail_to(outbox)
    assert sent[admin.email].body.startswith("Dear Amalie Andersen")
    assert sent[second_admin.email].body.startswith("Kære Mads Madsen")


def test_a_message_reaches_the_organisation(ctx: None, outbox: list[Any]) -> None:
    organisation = _organisation(ORG_C)
    caseworker = _user("caseworker_ost")
    # Organisation C has no portal users of its own in the demo data: give it an admin.
    contact = accounts.create_user("kontakt@gaeld.example.org", "Karen Kontakt", None)
    accounts.grant_role(contact, Role.NGO_ADMIN, organisation_id=organisation.id)
    workflow.post_message(organisation, caseworker, "  Husk underskriften.  ")
    assert [m.to for m in outbox] == ["kontakt@gaeld.example.org"]
    assert "Husk underskriften." in outbox[0].body
    assert _events(organisation)[-1].text == "Husk underskriften."
    assert _audit_count(organisation, "organisation.message") == 1


@pytest.mark.parametrize("role", ["caseworker_vest", "ngo_a_admin", "admin"])
def test_only_the_area_office_writes_to_the_organisation(ctx: None, role: str) -> None:
    with pytest.raises(WorkflowError):
        workflow.post_message(_organisation(ORG_C), _user(role), "Hej")


def test_an_empty_message_is_refused(ctx: None) -> None:
    with pytest.raises(WorkflowError, match="Skriv en besked"):
        workflow.post_message(_organisation(ORG_C), _user("caseworker_ost"), "  ")


# --- hand-over ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.SUBMITTED, S.IN_REVIEW, S.MORE_INFORMATION])
def test_hand_over_moves_the_case_to_the_other_office(
    ctx: None, outbox: list[Any], state: OrganisationState
) -> None:
    ost, vest = _user("caseworker_ost"), _user("caseworker_vest")
    organisation = _in_state(ORG_C, state)
    organisation.handled_by_id = ost.id
    db.session.flush()
    workflow.apply(organisation, "hand_over", ost, text="Organisationen arbejder mest på Fyn.")
    office = db.session.get(AreaOffice, organisation.area_office_id)
    assert office is not None and office.code == "vest"
    assert organisation.handled_by_id is None
    assert organisation.state == S.SUBMITTED
    assert [t.action for t in workflow.available(vest, organisation)] == ["take", "hand_over"]
    assert workflow.available(ost, organisation) == []
    assert [m.to for m in outbox] == [vest.email]
    assert "Organisationen arbejder mest på Fyn." in outbox[0].body


# --- optimistic locking --------------------------------------------------------------------------


def test_an_old_version_is_a_conflict_and_changes_nothing(ctx: None, outbox: list[Any]) -> None:
    caseworker = _user("caseworker_ost")
    organisation = _in_state(ORG_C, S.IN_REVIEW)
    seen = organisation.version
    workflow.apply(organisation, "approve", caseworker, expected_version=seen)
    outbox.clear()
    state, version = organisation.state, organisation.version
    events, audits = len(_events(organisation)), _audit_count(organisation)

    with pytest.raises(ConflictError, match="ændret af en anden"):
        workflow.apply(organisation, "reject", caseworker, text="Nej", expected_version=seen)
    assert (organisation.state, organisation.version) == (state, version)
    assert organisation.decision_reason == ""
    assert len(_events(organisation)) == events
    assert _audit_count(organisation) == audits
    assert outbox == []


def test_a_write_based_on_a_stale_row_is_a_conflict(ctx: None, outbox: list[Any]) -> None:
    """The version check in the UPDATE itself: another transaction changed the row after we
    read it (simulated by a write that bypasses this session's copy)."""
    caseworker = _user("caseworker_ost")
    organisation = _in_state(ORG_C, S.IN_REVIEW)
    organisation_id, seen = organisation.id, organisation.version
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(version=Organisation.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(ConflictError):
        workflow.apply(organisation, "approve", caseworker, expected_version=seen)
    decisions = db.session.scalar(
        select(func.count())
        .select_from(OrganisationEvent)
        .where(
            OrganisationEvent.organisation_id == organisation_id,
            OrganisationEvent.action == "approve",
        )
    )
    assert decisions == 0
    assert outbox == []


@pytest.mark.postgres_only
def test_two_caseworkers_deciding_at_once_exactly_one_wins(
    new_database: Callable[[], TestDatabase], tmp_path: Path
) -> None:
    database = new_database()
    migrate.upgrade(database.url)
    app = create_app(app_settings(database.url, tmp_path))
    try:
        with app.app_context():
            from portal.services import demo, reference

            reference.load_reference()
            demo.seed_demo()
            db.session.commit()
            organisation_id = _organisation(ORG_D).id
            assert _organisation(ORG_D).state == S.IN_REVIEW

        both_read = threading.Barrier(2)
        outcome: dict[str, str] = {}

        def decide(action: str) -> None:
            with app.app_context():
                organisation = db.session.get(Organisation, organisation_id)
                assert organisation is not None
                caseworker = _user("caseworker_vest")
                seen = organisation.version

                def wait_for_the_other(_organisation: Organisation) -> None:
                    # Both have read the same version; now both write at once.
                    both_read.wait(timeout=10)

                try:
                    workflow.apply(
                        organisation,
                        action,
                        caseworker,
                        text="Afgjort samtidig",
                        expected_version=seen,
                        before=wait_for_the_other,
                    )
                    db.session.commit()
                    outcome[action] = "won"
                except ConflictError:
                    db.session.rollback()
                    outcome[action] = "conflict"

        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(decide, action) for action in ("approve", "reject")]
            for future in futures:
                future.result(timeout=60)

        assert sorted(outcome.values()) == ["conflict", "won"], outcome
        winner = next(action for action, result in outcome.items() if result == "won")
        with app.app_context():
            organisation = db.session.get(Organisation, organisation_id)
            assert organisation is not None
            assert organisation.state == FLOW[winner][1]
            decisions = list(
                db.session.scalars(
                    select(OrganisationEvent.action).where(
                        OrganisationEvent.organisation_id == organisation_id,
                        OrganisationEvent.action.in_(("approve", "reject")),
                    )
                )
            )
            assert decisions == [winner]
            audited = list(
                db.session.scalars(
                    select(AuditEntry.action).where(
                        AuditEntry.object_id == str(organisation_id),
                        AuditEntry.action.in_(("organisation.approve", "organisation.reject")),
                    )
                )
            )
            assert audited == [f"organisation.{winner}"]
            assert audit.verify_chain(db.session).ok
    finally:
        app.extensions["portal_db"].engine.dispose()


def test_a_caseworker_takes_over_a_colleagues_case_but_not_their_own(ctx: None) -> None:
    organisation = _in_state(ORG_C, S.SUBMITTED)
    first, colleague = _user("caseworker_ost"), _user("admin")
    workflow.apply(organisation, "take", first)
    assert organisation.handled_by_id == first.id
    assert "take" not in [t.action for t in workflow.available(first, organisation)]
    with pytest.raises(WorkflowError, match="allerede sagen"):
        workflow.apply(organisation, "take", first)

    from portal.services import accounts

    accounts.grant_role(colleague, Role.CASEWORKER, area_office_id=organisation.area_office_id)
    assert "take" in [t.action for t in workflow.available(colleague, organisation)]
    workflow.apply(organisation, "take", colleague)
    assert organisation.state == S.IN_REVIEW
    assert organisation.handled_by_id == colleague.id
