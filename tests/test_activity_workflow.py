"""The activity workflow as a service: every action by every kind of person in every state
(allowed, or a WorkflowError and nothing changed), the rules checked again when approving,
a change after approval going back for approval, optimistic locking, the history and audit
written, and who is e-mailed (never the one who acted). Two real transactions deciding at
once are in test_activity_concurrency.py (PostgreSQL).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from portal import db
from portal.models import (
    Activity,
    ActivityState,
    InstitutionRules,
    OrganisationState,
    Role,
    User,
)
from portal.services import accounts, activities, activity_workflow, clearance
from portal.services.activities import ProposalRefused
from portal.services.activity_workflow import TRANSITIONS, Side
from portal.services.workflow import ConflictError, WorkflowError
from tests.activity_data import (
    STORSTROM,
    VESTRE,
    activity_mails,
    audited,
    events,
    give_access,
    institution,
    new_user,
    organisation,
    proposal,
    recipients_of,
    send,
    unique_title,
    user,
    volunteer,
)

S = ActivityState

# The flow written out by hand, so the table in activity_workflow.py is checked against it
# and not only against itself: action -> (from states, to state, side, needs a text).
FLOW: dict[str, tuple[frozenset[ActivityState], ActivityState, Side, bool]] = {
    "approve": (frozenset({S.SENT}), S.APPROVED, Side.INSTITUTION, False),
    "request_changes": (frozenset({S.SENT}), S.CHANGES_REQUESTED, Side.INSTITUTION, True),
    "refuse": (frozenset({S.SENT}), S.REFUSED, Side.INSTITUTION, True),
    "resend": (frozenset({S.SENT, S.CHANGES_REQUESTED}), S.SENT, Side.ORGANISATION, False),
    "change": (frozenset({S.APPROVED}), S.SENT, Side.ORGANISATION, False),
    "withdraw": (frozenset({S.SENT, S.CHANGES_REQUESTED}), S.WITHDRAWN, Side.ORGANISATION, False),
    "cancel": (frozenset({S.APPROVED}), S.CANCELLED, Side.ORGANISATION, True),
}

# The people tried on an activity of organisation A at Storstrøm Fængsel (area office Øst).
ACTORS = (
    "ngo_admin",  # NGO admin of the organisation
    "ngo_member",  # NGO member of the organisation
    "ngo_other",  # NGO admin of another organisation
    "contact_here",  # institution contact of Storstrøm Fængsel
    "contact_elsewhere",  # institution contact of Vestre Fængsel
    "caseworker_here",  # caseworker of area office Øst
    "caseworker_other",  # caseworker of area office Vest
    "admin",
    "volunteer",
)
MAY_ACT_FOR = {
    Side.ORGANISATION: {"ngo_admin", "ngo_member"},
    Side.INSTITUTION: {"contact_here", "caseworker_here"},
}
DEMO_ROLE = {
    "ngo_admin": "ngo_a_admin",
    "ngo_member": "ngo_a_member",
    "ngo_other": "ngo_b_admin",
    "contact_here": "institution",
    "caseworker_here": "caseworker_ost",
    "caseworker_other": "caseworker_vest",
    "admin": "admin",
    "volunteer": "volunteer",
}


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context outside any request: mail is delivered at once (to ``outbox``)."""
    with app.app_context():
        yield


def actor(name: str) -> User:
    if name == "contact_elsewhere":
        return new_user(
            "kontakt.vestre@example.test",
            "Kirsten Kontakt",
            Role.INSTITUTION_CONTACT,
            institution_id=institution(VESTRE).id,
        )
    return user(DEMO_ROLE[name])


def at_storstrom(title: str | None = None, author: str = "ngo_a_member") -> Activity:
    """A proposal at Storstrøm Fængsel that keeps its rules, sent by ``author``."""
    give_access(volunteer("Mette Hansen"), STORSTROM)
    return send(proposal(STORSTROM, title=title or unique_title()), actor=author)


def test_the_transition_table_is_the_designed_flow() -> None:
    table = {t.action: (t.from_states, t.to_state, t.side, t.needs_text) for t in TRANSITIONS}
    assert table == FLOW
    assert len(activity_workflow.BY_ACTION) == len(TRANSITIONS), "an action is listed twice"
    assert {t.action for t in TRANSITIONS if t.edits} == {"resend", "change"}
    for t in TRANSITIONS:
        # Each action tells the other side.
        assert t.tells == frozenset(Side) - {t.side}, t.action


@dataclasses.dataclass(frozen=True)
class Case:
    action: str
    state: ActivityState
    actor: str

    @property
    def allowed(self) -> bool:
        from_states, _to, side, _text = FLOW[self.action]
        return self.state in from_states and self.actor in MAY_ACT_FOR[side]


CASES = [
    pytest.param(Case(t.action, state, who), id=f"{t.action}-{state.value}-{who}")
    for t in TRANSITIONS
    for state in ActivityState
    for who in ACTORS
]


@pytest.mark.parametrize("case", CASES)
def test_transition_by_role_and_state(ctx: None, outbox: list[Any], case: Case) -> None:
    activity = at_storstrom()
    activity.state = case.state
    db.session.flush()
    person = actor(case.actor)
    assert (case.action in {t.action for t in activity_workflow.available(person, activity)}) == (
        case.allowed
    )
    history_before, version_before = events(activity), activity.version
    outbox.clear()
    if not case.allowed:
        with pytest.raises(WorkflowError) as refused:
            activity_workflow.apply(activity, case.action, person, text="Begrundelse")
        assert not isinstance(refused.value, ConflictError)
        assert activity.state == case.state
        assert events(activity) == history_before
        assert activity.version == version_before
        assert outbox == []
        return
    transition = activity_workflow.apply(activity, case.action, person, text="Begrundelse")
    _from, to_state, _side, _text = FLOW[case.action]
    assert transition.action == case.action
    assert activity.state == to_state
    assert events(activity)[-1] == (case.action, case.state.value, to_state.value)
    assert audited(activity)[-1] == f"activity.{case.action}"
    assert activity.version == version_before + 1
    assert outbox, "the other side is told"
    assert person.email not in [m.to for m in outbox]


@pytest.mark.parametrize("action", ["request_changes", "refuse", "cancel"])
def test_a_reason_is_required_where_the_table_says(ctx: None, action: str) -> None:
    activity = at_storstrom()
    person = user("institution") if action != "cancel" else user("ngo_a_admin")
    if action == "cancel":
        activity_workflow.apply(activity, "approve", user("institution"))
    state = activity.state
    with pytest.raises(WorkflowError) as refused:
        activity_workflow.apply(activity, action, person, text="   ")
    assert str(refused.value) == "Skriv en begrundelse eller besked."
    assert activity.state == state


def test_an_unknown_action_is_refused(ctx: None) -> None:
    activity = at_storstrom()
    with pytest.raises(WorkflowError):
        activity_workflow.apply(activity, "delete", user("institution"))


def test_a_decision_is_recorded_on_the_activity(ctx: None) -> None:
    activity = at_storstrom()
    contact = user("institution")
    activity_workflow.apply(activity, "request_changes", contact, text="  Vælg en anden dag.  ")
    assert activity.decided_by_id == contact.id
    assert activity.decided_at is not None
    assert activity.decision_reason == "Vælg en anden dag."
    assert activity_workflow.history(activity)[-1].text == "Vælg en anden dag."
    assert activity_workflow.history(activity)[-1].actor_id == contact.id


# --- approving checks the rules as they are now ---------------------------------------------------


def test_approve_rechecks_access_revoked_after_sending(ctx: None, outbox: list[Any]) -> None:
    activity = send(proposal(VESTRE, title=unique_title()))
    mette = volunteer("Mette Hansen")
    grant = next(g for g in mette.access_grants if g.institution_id == institution(VESTRE).id)
    clearance.revoke_access(grant, user("caseworker_ost"), "Sikkerhedsmæssig vurdering")
    db.session.flush()
    outbox.clear()
    with pytest.raises(ProposalRefused) as refused:
        activity_workflow.apply(activity, "approve", user("caseworker_ost"))
    found = refused.value.problems
    assert {p.rule for p in found} == {"access_on_each_day"}
    assert [p.day for p in found] == activities.dates_of(activity)
    assert {p.volunteer_id for p in found} == {mette.id}
    assert str(found[0].message).startswith("Mette Hansen har ikke adgang til Vestre Fængsel den ")
    assert activity.state == S.SENT
    assert [e[0] for e in events(activity)] == ["send"]
    assert "activity.approve" not in audited(activity)
    assert outbox == []
    # The institution can still ask for a change, or refuse.
    activity_workflow.apply(
        activity, "request_changes", user("caseworker_ost"), text="Mette har ikke adgang."
    )
    assert activity.state == S.CHANGES_REQUESTED


def test_approve_reads_the_institutions_rules_as_they_are_now(ctx: None) -> None:
    activity = at_storstrom()
    db.session.add(InstitutionRules(institution_id=institution(STORSTROM).id, min_notice_days=60))
    db.session.flush()
    with pytest.raises(ProposalRefused) as refused:
        activity_workflow.apply(activity, "approve", user("institution"))
    assert [p.rule for p in refused.value.problems] == ["minimum_notice"]
    assert activity.state == S.SENT


def test_approve_is_refused_when_the_organisation_was_suspended_meanwhile(ctx: None) -> None:
    activity = at_storstrom()
    activity.organisation.state = OrganisationState.SUSPENDED
    db.session.flush()
    with pytest.raises(ProposalRefused) as refused:
        activity_workflow.apply(activity, "approve", user("institution"))
    assert [p.rule for p in refused.value.problems] == ["organisation"]
    assert "ikke længere godkendt som samarbejdspartner" in str(refused.value.problems[0].message)
    assert activity.state == S.SENT
    # Refusing stays possible.
    activity_workflow.apply(
        activity, "refuse", user("institution"), text="Samarbejdet er suspenderet."
    )
    assert activity.state == S.REFUSED


def test_approve_counts_the_notice_from_the_day_it_was_sent(ctx: None) -> None:
    """A proposal sent with exactly enough notice may be approved a week later."""
    activity = at_storstrom()
    activity.sent_at = activity.sent_at - timedelta(days=7)
    activity.first_date = activity.first_date - timedelta(days=7)
    activity.until_date = activity.until_date - timedelta(days=7) if activity.until_date else None
    db.session.flush()
    assert activities.problems_now(activity) == []
    activity_workflow.apply(activity, "approve", user("institution"))
    assert activity.state == S.APPROVED


# --- changes ---------------------------------------------------------------------------------------


def test_a_change_after_approval_goes_back_for_approval(ctx: None, outbox: list[Any]) -> None:
    title = unique_title("Ændres")
    activity = at_storstrom(title)
    activity_workflow.apply(activity, "approve", user("institution"))
    assert activity.state == S.APPROVED
    sequence, version = activity.sequence, activity.version
    assert activity_workflow.change_action(activity) == "change"
    outbox.clear()
    birgitte = volunteer("Birgitte Lund")
    give_access(birgitte, STORSTROM)
    changed = dataclasses.replace(
        activities.proposal_of(activity),
        participant_ids=(volunteer("Mette Hansen").id, birgitte.id),
    )
    transition = activities.change(
        activity, changed, user("ngo_a_admin"), text="Birgitte kommer med", expected_version=version
    )
    assert transition.action == "change"
    assert activity.state == S.SENT
    assert activity.sequence > sequence
    assert activity.version > version
    assert [p.volunteer.name for p in activity.participants] == ["Mette Hansen", "Birgitte Lund"]
    assert events(activity)[-1] == ("change", "approved", "sent")
    assert audited(activity)[-1] == "activity.change"
    [mail] = activity_mails(outbox, title)
    assert mail.to == "institution@example.org"
    assert mail.subject.startswith("Godkendt aktivitet ændret, skal godkendes igen")
    assert "Birgitte kommer med" in mail.body
    # And the institution approves it again.
    activity_workflow.apply(activity, "approve", user("institution"))
    assert activity.state == S.APPROVED


def test_a_refused_change_changes_nothing(ctx: None, outbox: list[Any]) -> None:
    activity = at_storstrom()
    activity_workflow.apply(activity, "approve", user("institution"))
    version, history = activity.version, events(activity)
    outbox.clear()
    bad = dataclasses.replace(activities.proposal_of(activity), brings_phone=True)
    with pytest.raises(ProposalRefused) as refused:
        activities.change(activity, bad, user("ngo_a_admin"))
    assert [p.rule for p in refused.value.problems] == ["no_phones"]
    assert activity.state == S.APPROVED and activity.version == version
    assert not activity.brings_phone
    assert events(activity) == history
    assert outbox == []


def test_an_answer_to_a_change_request_is_sent_again(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    activity = at_storstrom(title)
    activity_workflow.apply(activity, "request_changes", user("institution"), text="Senere")
    assert activity_workflow.change_action(activity) == "resend"
    later = dataclasses.replace(
        activities.proposal_of(activity), start_time=time(10, 0), end_time=time(12, 0)
    )
    activities.change(activity, later, user("ngo_a_member"), text="Rettet")
    assert activity.start_time == time(10, 0)
    assert activity.state == S.SENT
    assert events(activity)[-2:] == [
        ("request_changes", "sent", "changes_requested"),
        ("resend", "changes_requested", "sent"),
    ]


def test_a_change_by_someone_else_is_refused(ctx: None) -> None:
    activity = at_storstrom()
    with pytest.raises(WorkflowError):
        activities.change(activity, activities.proposal_of(activity), user("ngo_b_admin"))


# --- optimistic locking ---------------------------------------------------------------------------


def test_a_decision_on_an_old_version_is_a_conflict(ctx: None, outbox: list[Any]) -> None:
    activity = at_storstrom()
    seen = activity.version
    activities.change(activity, activities.proposal_of(activity), user("ngo_a_admin"))
    history = events(activity)
    outbox.clear()
    with pytest.raises(ConflictError) as conflict:
        activity_workflow.apply(activity, "approve", user("institution"), expected_version=seen)
    assert "ændret af en anden" in str(conflict.value)
    assert activity.state == S.SENT
    assert events(activity) == history
    assert "activity.approve" not in audited(activity)
    assert outbox == []


def test_a_write_crossing_another_is_a_conflict(ctx: None, outbox: list[Any]) -> None:
    """Another transaction moved the row on between our read and our write."""
    activity = at_storstrom()
    activity_id = activity.id
    db.session.commit()
    seen = activity.version
    db.session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(version=Activity.version + 1)
        .execution_options(synchronize_session=False)
    )
    outbox.clear()
    with pytest.raises(ConflictError):
        activity_workflow.apply(activity, "approve", user("institution"), expected_version=seen)
    fresh = db.session.get(Activity, activity_id)
    assert fresh is not None and fresh.state == S.SENT
    assert [e[0] for e in events(fresh)] == ["send"]
    assert outbox == []


# --- history, audit and e-mail ---------------------------------------------------------------------


def test_a_whole_life_is_in_the_history_and_the_audit_log(ctx: None) -> None:
    activity = at_storstrom(author="ngo_a_admin")
    contact, admin = user("institution"), user("ngo_a_admin")
    activity_workflow.apply(activity, "request_changes", contact, text="En anden dag")
    activities.change(activity, activities.proposal_of(activity), admin, text="Rettet")
    activity_workflow.apply(activity, "approve", contact)
    activity_workflow.post_message(activity, contact, "Velkommen")
    activities.change(activity, activities.proposal_of(activity), admin)
    activity_workflow.apply(activity, "approve", user("caseworker_ost"))
    activity_workflow.apply(activity, "cancel", admin, text="Sygdom")
    assert events(activity) == [
        ("send", "", "sent"),
        ("request_changes", "sent", "changes_requested"),
        ("resend", "changes_requested", "sent"),
        ("approve", "sent", "approved"),
        ("message", "", ""),
        ("change", "approved", "sent"),
        ("approve", "sent", "approved"),
        ("cancel", "approved", "cancelled"),
    ]
    history = activity_workflow.history(activity)
    assert [e.actor_id for e in history] == [
        admin.id,
        contact.id,
        admin.id,
        contact.id,
        contact.id,
        admin.id,
        user("caseworker_ost").id,
        admin.id,
    ]
    assert [e.text for e in history][-1] == "Sygdom"
    assert activity.cancel_reason == "Sygdom"
    assert audited(activity) == [
        "activity.send",
        "activity.request_changes",
        "activity.resend",
        "activity.approve",
        "activity.message",
        "activity.change",
        "activity.approve",
        "activity.cancel",
    ]


def test_mail_goes_to_the_institutions_contacts(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    at_storstrom(title, author="ngo_a_member")
    # Storstrøm Fængsel has a contact person in the portal: only they are told, not the
    # area office's caseworkers.
    assert recipients_of(outbox, title) == ["institution@example.org"]
    [mail] = activity_mails(outbox, title)
    assert mail.subject == f"Nyt forslag til aktivitet: {title}"
    assert "Foreningen Nyt Netværk foreslår en aktivitet på Storstrøm Fængsel" in mail.body


def test_mail_goes_to_the_area_office_where_the_institution_has_no_contact(
    ctx: None, outbox: list[Any]
) -> None:
    title = unique_title()
    send(proposal(VESTRE, title=title))
    assert recipients_of(outbox, title) == ["caseworker.ost@example.org"]
    # A contact whose account is closed does not count.
    contact = user("institution")
    contact.active = False
    db.session.flush()
    activity = send(proposal(VESTRE, title=unique_title()))
    activity.institution_id = institution(STORSTROM).id
    db.session.flush()
    db.session.refresh(activity)
    assert [u.email for u in activity_workflow.recipients(activity, Side.INSTITUTION)] == [
        "caseworker.ost@example.org"
    ]


def test_decisions_are_mailed_to_the_organisations_admins_and_the_author(
    ctx: None, outbox: list[Any]
) -> None:
    title = unique_title()
    activity = at_storstrom(title, author="ngo_a_member")
    outbox.clear()
    activity_workflow.apply(activity, "refuse", user("institution"), text="Ingen plads")
    assert recipients_of(outbox, title) == [
        "ngo-a.admin@example.org",
        "ngo-a.member@example.org",
    ]
    mail = activity_mails(outbox, title)[0]
    assert mail.subject == f"Aktiviteten er afvist: {title}"
    assert "Ingen plads" in mail.body
    # Organisation B's admin is never told about organisation A's activity.
    assert "ngo-b.admin@example.org" not in [m.to for m in outbox]


def test_the_one_who_acts_is_never_mailed(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    activity = at_storstrom(title, author="ngo_a_admin")
    outbox.clear()
    activity_workflow.apply(activity, "withdraw", user("ngo_a_admin"))
    assert recipients_of(outbox, title) == ["institution@example.org"]
    # Someone on both sides who writes a message: both sides are told, but not them.
    both = new_user(
        "begge.sider@example.test",
        "Bodil Begge",
        Role.NGO_ADMIN,
        organisation_id=organisation().id,
    )
    activity = at_storstrom(title2 := unique_title(), author="ngo_a_member")
    accounts.grant_role(both, Role.INSTITUTION_CONTACT, institution_id=institution(STORSTROM).id)
    db.session.flush()
    outbox.clear()
    activity_workflow.post_message(activity, both, "Til alle")
    told = recipients_of(outbox, title2)
    assert "begge.sider@example.test" not in told
    assert told == [
        "institution@example.org",
        "ngo-a.admin@example.org",
        "ngo-a.member@example.org",
    ]


def test_messages_go_both_ways(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    activity = at_storstrom(title, author="ngo_a_member")
    outbox.clear()
    event = activity_workflow.post_message(
        activity, user("ngo_a_member"), "  Må vi tage kage med?  "
    )
    assert event.text == "Må vi tage kage med?"
    assert recipients_of(outbox, title) == ["institution@example.org"]
    assert activity_mails(outbox, title)[0].subject == f"Ny besked om aktiviteten: {title}"
    outbox.clear()
    activity_workflow.post_message(activity, user("institution"), "Nej, desværre.")
    assert recipients_of(outbox, title) == ["ngo-a.admin@example.org", "ngo-a.member@example.org"]
    outbox.clear()
    activity_workflow.post_message(activity, user("caseworker_ost"), "Aftalt med fængslet.")
    assert recipients_of(outbox, title) == ["ngo-a.admin@example.org", "ngo-a.member@example.org"]
    messages = [e for e in activity_workflow.history(activity) if e.action == "message"]
    assert [m.text for m in messages] == [
        "Må vi tage kage med?",
        "Nej, desværre.",
        "Aftalt med fængslet.",
    ]
    assert audited(activity, "activity.message") == ["activity.message"] * 3
    assert activity.state == S.SENT


@pytest.mark.parametrize("who", ["ngo_b_admin", "caseworker_vest", "admin", "volunteer", "dpo"])
def test_outsiders_cannot_write(ctx: None, outbox: list[Any], who: str) -> None:
    activity = at_storstrom()
    outbox.clear()
    with pytest.raises(WorkflowError):
        activity_workflow.post_message(activity, user(who), "Hej")
    assert outbox == []
    assert [e[0] for e in events(activity)] == ["send"]


def test_an_empty_message_is_refused(ctx: None) -> None:
    activity = at_storstrom()
    with pytest.raises(WorkflowError) as refused:
        activity_workflow.post_message(activity, user("institution"), "   ")
    assert str(refused.value) == "Skriv en besked."
