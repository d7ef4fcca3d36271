"""Data-subject requests as a service: the one-month deadline (31 January gives the last day of
February), the extension (at most two months, only within the first month, with notice),
every transition against the flow written out by hand, the required texts, the DPO-only rule,
optimistic locking, the history the person sees, the audit entries and the e-mails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db
from portal.models import (
    OPEN_SUBJECT_REQUEST_STATES,
    AuditEntry,
    DataSubjectRequest,
    SubjectRequestChannel,
    SubjectRequestKind,
    SubjectRequestState,
    User,
)
from portal.services import subject_request_queries, subject_requests
from portal.services.accounts import find_user_by_email
from portal.services.subject_request_queries import add_months
from portal.services.subject_requests import TRANSITIONS
from portal.services.workflow import ConflictError, WorkflowError

S = SubjectRequestState
K = SubjectRequestKind
OPEN = frozenset(OPEN_SUBJECT_REQUEST_STATES)

# The flow of the brief written out by hand: action -> (from states, to state).
FLOW: dict[str, tuple[frozenset[SubjectRequestState], SubjectRequestState]] = {
    "check_identity": (frozenset({S.RECEIVED, S.EXTENDED}), S.IDENTITY_CHECKED),
    "start": (frozenset({S.IDENTITY_CHECKED}), S.IN_PROGRESS),
    "extend": (frozenset({S.RECEIVED, S.IDENTITY_CHECKED, S.IN_PROGRESS}), S.EXTENDED),
    "answer": (frozenset({S.IDENTITY_CHECKED, S.IN_PROGRESS, S.EXTENDED}), S.ANSWERED),
    "refuse": (OPEN, S.REFUSED),
}


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context outside any request: mail is delivered at once (to ``outbox``)."""
    with app.app_context():
        yield


def _user(email: str) -> User:
    user = find_user_by_email(email)
    assert user is not None, email
    return user


@pytest.fixture
def dpo(ctx: None) -> User:
    return _user("dpo@example.org")


@pytest.fixture
def volunteer(ctx: None) -> User:
    return _user("volunteer@example.org")


def _letter(
    dpo: User,
    *,
    kind: SubjectRequestKind = K.ACCESS,
    received_on: date | None = None,
    email: str = "brev.skriver@example.net",
    description: str = "Jeg vil se mine oplysninger.",
) -> DataSubjectRequest:
    return subject_requests.create_request(
        kind,
        description,
        name="Brev Skriver",
        email=email,
        channel=SubjectRequestChannel.LETTER,
        actor=dpo,
        received_on=received_on,
    )


def _own(volunteer: User, kind: SubjectRequestKind = K.ACCESS) -> DataSubjectRequest:
    return subject_requests.create_request(
        kind, "Om mig", user=volunteer, channel=SubjectRequestChannel.PORTAL, actor=volunteer
    )


def _in_state(dpo: User, state: SubjectRequestState, **kwargs: Any) -> DataSubjectRequest:
    """A letter (no account) brought to ``state`` through the workflow; an extended one has
    its identity checked and was in progress."""
    request = _letter(dpo, **kwargs)
    if state == S.RECEIVED:
        return request
    subject_requests.apply(request, "check_identity", dpo, text="Pas set")
    if state == S.IDENTITY_CHECKED:
        return request
    subject_requests.apply(request, "start", dpo)
    if state == S.IN_PROGRESS:
        return request
    if state == S.EXTENDED:
        due = request.original_due_on + timedelta(days=10)
        subject_requests.apply(request, "extend", dpo, text="Mange sager", due_on=due)
        return request
    text = "Svar" if state == S.ANSWERED else "Begrundelse"
    subject_requests.apply(request, "answer" if state == S.ANSWERED else "refuse", dpo, text=text)
    return request


def _audit_actions(request: DataSubjectRequest) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "data_subject_request")
            .where(AuditEntry.object_id == str(request.id))
            .order_by(AuditEntry.id)
        )
    )


# --- deadlines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2027, 3, 31), 1, date(2027, 4, 30)),
        (date(2027, 3, 15), 1, date(2027, 4, 15)),
        (date(2027, 12, 31), 1, date(2028, 1, 31)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2027, 2, 28), 2, date(2027, 4, 28)),
    ],
)
def test_add_months_clamps_to_the_months_last_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_a_letter_received_on_31_january_is_due_on_the_last_day_of_february(dpo: User) -> None:
    request = _letter(dpo, received_on=date(2025, 1, 31))
    assert request.due_on == request.original_due_on == date(2025, 2, 28)
    # Counted from the start of the day it came, in Copenhagen.
    assert request.received_at == datetime(2025, 1, 30, 23, 0, tzinfo=UTC)
    assert subject_request_queries.deadline_flag(request, date(2025, 2, 28)) == "near"
    assert subject_request_queries.deadline_flag(request, date(2025, 3, 1)) == "overdue"


def test_a_request_made_today_is_due_in_one_month(volunteer: User) -> None:
    request = _own(volunteer)
    today = subject_request_queries.today()
    assert request.due_on == add_months(today, 1)
    assert subject_request_queries.days_left(request, today) == (request.due_on - today).days


def test_the_received_date_cannot_be_in_the_future(dpo: User) -> None:
    with pytest.raises(WorkflowError, match="fremtiden"):
        _letter(dpo, received_on=subject_request_queries.today() + timedelta(days=1))


def test_near_deadline_and_overdue_list_open_requests_only(dpo: User) -> None:
    today = subject_request_queries.today()
    overdue = _letter(dpo, received_on=add_months(today, -1) - timedelta(days=3))
    near = _letter(dpo, received_on=add_months(today, -1) + timedelta(days=5))
    later = _letter(dpo, received_on=today)
    closed = _in_state(dpo, S.REFUSED, received_on=add_months(today, -1) - timedelta(days=3))
    mine = {overdue.id, near.id, later.id, closed.id}

    assert [r.id for r in subject_request_queries.overdue(today) if r.id in mine] == [overdue.id]
    assert [r.id for r in subject_request_queries.near_deadline(7, today) if r.id in mine] == [
        near.id
    ]
    open_ids = {r.id for r in subject_request_queries.request_list(open_only=True)}
    assert mine & open_ids == {overdue.id, near.id, later.id}
    refused = {r.id for r in subject_request_queries.request_list(S.REFUSED)}
    assert closed.id in refused and overdue.id not in refused


def test_the_counts_for_the_landing_page(dpo: User) -> None:
    today = subject_request_queries.today()
    before = (
        subject_request_queries.open_count(),
        subject_request_queries.due_soon_count(7, today),
    )
    _letter(dpo, received_on=add_months(today, -1) - timedelta(days=3))  # overdue
    _letter(dpo, received_on=add_months(today, -1) + timedelta(days=5))  # due in 5 days
    _letter(dpo, received_on=today)  # due in a month
    _in_state(dpo, S.ANSWERED, received_on=add_months(today, -1))  # closed
    after = (subject_request_queries.open_count(), subject_request_queries.due_soon_count(7, today))
    assert (after[0] - before[0], after[1] - before[1]) == (3, 2)


# --- the extension ------------------------------------------------------------------------------


def test_the_extension_moves_the_deadline_by_at_most_two_months_with_notice(
    dpo: User, outbox: list[Any]
) -> None:
    request = _letter(dpo)
    latest = add_months(request.original_due_on, 2)
    outbox.clear()
    with pytest.raises(WorkflowError, match="to måneder"):
        subject_requests.apply(
            request, "extend", dpo, text="Mange sager", due_on=latest + timedelta(days=1)
        )
    with pytest.raises(WorkflowError, match="efter den oprindelige frist"):
        subject_requests.apply(request, "extend", dpo, text="Mange sager", due_on=request.due_on)
    with pytest.raises(WorkflowError, match="hvorfor"):
        subject_requests.apply(request, "extend", dpo, text=" ", due_on=latest)
    assert outbox == []

    subject_requests.apply(request, "extend", dpo, text="Mange sager lige nu", due_on=latest)
    assert request.state == S.EXTENDED
    assert request.due_on == latest and request.original_due_on < latest
    assert request.extension_reason == "Mange sager lige nu"
    assert request.extension_notified_at is not None
    [notice] = outbox
    assert notice.to == "brev.skriver@example.net"
    assert "forlænget" in notice.subject
    assert "Mange sager lige nu" in notice.body
    # Once only: an extended request cannot be extended again.
    with pytest.raises(WorkflowError):
        subject_requests.apply(request, "extend", dpo, text="Igen", due_on=latest)


def test_the_extension_must_be_given_within_the_first_month(dpo: User) -> None:
    request = _letter(dpo)
    last_day = request.original_due_on
    due = last_day + timedelta(days=20)
    with pytest.raises(WorkflowError, match="første måned"):
        subject_requests.apply(
            request, "extend", dpo, text="For sent", due_on=due, on=last_day + timedelta(days=1)
        )
    assert request.state == S.RECEIVED
    subject_requests.apply(request, "extend", dpo, text="Lige i tide", due_on=due, on=last_day)
    assert request.due_on == due


def test_a_late_letter_cannot_be_extended(dpo: User) -> None:
    request = _letter(dpo, received_on=add_months(subject_request_queries.today(), -2))
    reason = subject_requests.options(request)["extend"]
    assert reason is not None and "første måned" in str(reason)


def test_checking_the_identity_after_an_extension_keeps_the_extended_deadline(dpo: User) -> None:
    request = _letter(dpo)
    due = request.original_due_on + timedelta(days=10)
    subject_requests.apply(request, "extend", dpo, text="Mange sager", due_on=due)
    assert "answer" in subject_requests.options(request)
    assert "Kontrollér" in str(subject_requests.options(request)["answer"])
    subject_requests.apply(request, "check_identity", dpo, text="Pas set")
    assert request.state == S.EXTENDED and request.due_on == due
    assert request.identity_checked_at is not None
    assert "check_identity" not in subject_requests.options(request)
    subject_requests.apply(request, "answer", dpo, text="Vi har ingen oplysninger om dig.")
    assert request.state == S.ANSWERED


# --- transitions ----------------------------------------------------------------------------------


def test_the_transition_table_is_the_flow() -> None:
    table = {t.action: (t.from_states, t.to_state) for t in TRANSITIONS}
    assert table == FLOW


@pytest.mark.parametrize("action", list(FLOW))
@pytest.mark.parametrize("state", list(S))
def test_each_action_is_allowed_exactly_from_its_states(
    dpo: User, action: str, state: SubjectRequestState
) -> None:
    request = _in_state(dpo, state)
    # An extended request here had its identity checked first (the other order has its own
    # test below).
    allowed = state in FLOW[action][0] and not (action == "check_identity" and state == S.EXTENDED)
    kwargs: dict[str, Any] = {"text": "Tekst"}
    if action == "extend":
        kwargs["due_on"] = request.original_due_on + timedelta(days=5)
    if allowed:
        subject_requests.apply(request, action, dpo, **kwargs)
        assert request.state == FLOW[action][1]
    else:
        with pytest.raises(WorkflowError):
            subject_requests.apply(request, action, dpo, **kwargs)
        assert request.state == state


@pytest.mark.parametrize("action", ["check_identity", "extend", "answer", "refuse"])
def test_the_texts_are_required(dpo: User, action: str) -> None:
    request = _in_state(
        dpo, S.RECEIVED if action in ("check_identity", "extend") else S.IN_PROGRESS
    )
    due = request.original_due_on + timedelta(days=5)
    with pytest.raises(WorkflowError):
        subject_requests.apply(request, action, dpo, text="   ", due_on=due)
    assert not [e for e in request.events if e.action == action]


def test_only_the_dpo_handles_requests(dpo: User, volunteer: User) -> None:
    request = _letter(dpo)
    with pytest.raises(WorkflowError, match="databeskyttelsesrådgiveren"):
        subject_requests.apply(request, "check_identity", volunteer, text="Mig selv")
    with pytest.raises(WorkflowError):
        subject_requests.create_request(
            K.ACCESS,
            "",
            name="X",
            email="x@example.net",
            channel=SubjectRequestChannel.LETTER,
            actor=volunteer,
        )
    with pytest.raises(WorkflowError):
        # A request in the portal is the person's own.
        subject_requests.create_request(
            K.ACCESS, "", user=volunteer, channel=SubjectRequestChannel.PORTAL, actor=dpo
        )


def test_a_stale_version_is_refused(dpo: User) -> None:
    request = _letter(dpo)
    seen = request.version
    subject_requests.apply(request, "check_identity", dpo, text="Pas set", expected_version=seen)
    with pytest.raises(ConflictError):
        subject_requests.apply(request, "refuse", dpo, text="Nej", expected_version=seen)
    assert request.state == S.IDENTITY_CHECKED


def test_an_access_or_erasure_request_of_an_account_needs_its_data_step_first(
    dpo: User, volunteer: User
) -> None:
    for kind, needed in ((K.ACCESS, "udtrækket"), (K.ERASURE, "Slet det")):
        request = _own(volunteer, kind)
        subject_requests.apply(request, "check_identity", dpo, text="Egen konto")
        with pytest.raises(WorkflowError, match=needed):
            subject_requests.apply(request, "answer", dpo, text="Svar")
        # Refusing needs no data step.
        subject_requests.apply(request, "refuse", dpo, text="Åbenbart grundløs")
        assert request.state == S.REFUSED and request.answered_at is not None


def test_a_rectification_is_answered_after_the_identity_check(
    dpo: User, volunteer: User, outbox: list[Any]
) -> None:
    request = subject_requests.create_request(
        K.RECTIFICATION,
        "Min fødselsdato er forkert.",
        user=volunteer,
        channel=SubjectRequestChannel.PORTAL,
        actor=volunteer,
    )
    with pytest.raises(WorkflowError, match="Modtaget"):
        subject_requests.apply(request, "answer", dpo, text="Rettet")
    subject_requests.apply(request, "check_identity", dpo, text="Egen konto")
    subject_requests.apply(request, "start", dpo)
    outbox.clear()
    subject_requests.apply(request, "answer", dpo, text="Fødselsdatoen er rettet.")
    assert request.state == S.ANSWERED
    assert request.answer_text == "Fødselsdatoen er rettet."
    [answer] = outbox
    assert answer.to == volunteer.email
    assert "Fødselsdatoen er rettet." in answer.body
    assert f"/profil/mine-data/{request.id}" in answer.body


def test_rectification_needs_a_description_and_duplicates_are_refused(volunteer: User) -> None:
    with pytest.raises(WorkflowError, match="forkert"):
        subject_requests.create_request(
            K.RECTIFICATION,
            " ",
            user=volunteer,
            channel=SubjectRequestChannel.PORTAL,
            actor=volunteer,
        )
    _own(volunteer, K.ACCESS)
    with pytest.raises(WorkflowError, match="allerede en åben"):
        _own(volunteer, K.ACCESS)
    _own(volunteer, K.ERASURE)  # another kind is fine


# --- linking a letter to an account ---------------------------------------------------------------


def test_a_letter_is_linked_to_an_account_while_the_identity_is_checked(
    dpo: User, volunteer: User
) -> None:
    request = _letter(dpo, email=volunteer.email)
    with pytest.raises(WorkflowError, match="ingen konto"):
        subject_requests.apply(
            request, "check_identity", dpo, text="Pas set", link_email="ingen@example.net"
        )
    assert request.subject_user_id is None and request.identity_checked_at is None
    subject_requests.apply(
        request, "check_identity", dpo, text="Pas set", link_email=volunteer.email.upper()
    )
    assert request.subject_user_id == volunteer.id
    assert [e.action for e in subject_request_queries.history(request)] == [
        "create",
        "link_account",
        "check_identity",
    ]
    assert request in subject_request_queries.own_requests(volunteer)


def test_linking_later_needs_an_open_unlinked_request(dpo: User, volunteer: User) -> None:
    request = _in_state(dpo, S.IDENTITY_CHECKED)
    assert "Knyt" in str(subject_requests.can_make_export(request))
    subject_requests.link_account(request, volunteer.email, dpo, expected_version=request.version)
    assert request.subject_user_id == volunteer.id
    assert subject_requests.can_make_export(request) is None
    with pytest.raises(WorkflowError, match="allerede knyttet"):
        subject_requests.link_account(request, volunteer.email, dpo)


# --- history, audit and e-mails -------------------------------------------------------------------


def test_every_step_is_in_the_history_and_the_audit_log(dpo: User) -> None:
    request = _letter(dpo)
    subject_requests.apply(request, "check_identity", dpo, text="Hemmelig note om pas")
    subject_requests.apply(request, "start", dpo)
    subject_requests.apply(
        request,
        "extend",
        dpo,
        text="Mange sager",
        due_on=request.original_due_on + timedelta(days=9),
    )
    subject_requests.apply(request, "answer", dpo, text="Her er svaret")
    steps = ["create", "check_identity", "start", "extend", "answer"]
    assert [e.action for e in subject_request_queries.history(request)] == steps
    assert _audit_actions(request) == [f"privacy.request_{step}" for step in steps]
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.object_id == str(request.id))
        .where(AuditEntry.action == "privacy.request_extend")
    )
    assert entry is not None and entry.actor_id == str(dpo.id)
    assert entry.details["due_on"] == request.due_on.isoformat()

    # The person sees the steps and what was written to them, not the DPO's identity note.
    seen = subject_request_queries.history_for_person(request)
    assert [e.action for e in seen] == steps
    texts = {e.action: e.text for e in seen}
    assert texts["check_identity"] == ""
    assert texts["extend"] == "Mange sager" and texts["answer"] == "Her er svaret"


def test_a_new_request_sends_a_receipt_and_tells_the_dpo(
    dpo: User, volunteer: User, outbox: list[Any]
) -> None:
    request = _own(volunteer)
    by_address = {m.to: m for m in outbox}
    receipt = by_address[volunteer.email]
    assert "modtaget" in receipt.subject
    assert f"/profil/mine-data/{request.id}" in receipt.body
    notice = by_address[dpo.email]
    assert f"/databeskyttelse/anmodninger/{request.id}" in notice.body
    assert volunteer.name in notice.body

    outbox.clear()
    _letter(dpo)  # registered by the DPO: only the person gets mail
    assert [m.to for m in outbox] == ["brev.skriver@example.net"]
    assert "/profil/" not in outbox[0].body  # no account to follow it in


def test_a_letter_without_an_e_mail_address_sends_nothing_to_the_person(
    dpo: User, outbox: list[Any]
) -> None:
    request = _letter(dpo, email="")
    assert outbox == []
    subject_requests.apply(request, "refuse", dpo, text="Identiteten kunne ikke bekræftes")
    assert outbox == []
    assert request.state == S.REFUSED


def test_the_refusal_tells_the_person_the_reason_and_the_right_to_complain(
    dpo: User, outbox: list[Any]
) -> None:
    request = _letter(dpo)
    outbox.clear()
    subject_requests.apply(request, "refuse", dpo, text="Identiteten kunne ikke bekræftes")
    [refusal] = outbox
    assert "afvist" in refusal.subject
    assert "Identiteten kunne ikke bekræftes" in refusal.body
    assert "Datatilsynet" in refusal.body
