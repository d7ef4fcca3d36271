"""The activity workflow as data: which action moves an activity from which state to which,
who may take it and whom it tells. ``apply`` is the one function that changes the state;
the steps it shares with the other workflows (version check, history, audit) are in
``transitions``.

The organisation's side is its staff; the deciding side is the institution's contact
people and the caseworkers of its area office. E-mails to the deciding side go to the
institution's contact people, or to the area office's caseworkers where the institution
has none in the portal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal import mail
from portal.auth.permissions import can_decide_activity, can_propose_activities
from portal.db import utcnow
from portal.models import (
    Activity,
    ActivityEvent,
    ActivityState,
    Organisation,
    Role,
    RoleAssignment,
    User,
)
from portal.services import transitions
from portal.services.transitions import Move, WorkflowError

S = ActivityState

CONFLICT = _l(
    "Aktiviteten er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
)


class Side(enum.StrEnum):
    ORGANISATION = "organisation"  # the organisation's staff
    INSTITUTION = "institution"  # the institution's contacts and the area office's caseworkers


@dataclass(frozen=True)
class Transition(transitions.Transition):
    side: Side
    # Whom to e-mail: the other side, unless this names both.
    tells: frozenset[Side] = frozenset()
    # Reached through the change form (activities.change), not a button.
    edits: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "approve",
        frozenset({S.SENT}),
        S.APPROVED,
        Side.INSTITUTION,
        label=_l("Godkend aktiviteten"),
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "request_changes",
        frozenset({S.SENT}),
        S.CHANGES_REQUESTED,
        Side.INSTITUTION,
        label=_l("Bed om ændringer"),
        needs_text=True,
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "refuse",
        frozenset({S.SENT}),
        S.REFUSED,
        Side.INSTITUTION,
        label=_l("Afvis"),
        needs_text=True,
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "resend",
        frozenset({S.SENT, S.CHANGES_REQUESTED}),
        S.SENT,
        Side.ORGANISATION,
        label=_l("Ret og send igen"),
        tells=frozenset({Side.INSTITUTION}),
        edits=True,
    ),
    # A change of participants or dates after approval goes back for approval.
    Transition(
        "change",
        frozenset({S.APPROVED}),
        S.SENT,
        Side.ORGANISATION,
        label=_l("Ændr aktiviteten"),
        tells=frozenset({Side.INSTITUTION}),
        edits=True,
    ),
    Transition(
        "withdraw",
        frozenset({S.SENT, S.CHANGES_REQUESTED}),
        S.WITHDRAWN,
        Side.ORGANISATION,
        label=_l("Træk forslaget tilbage"),
        tells=frozenset({Side.INSTITUTION}),
    ),
    Transition(
        "cancel",
        frozenset({S.APPROVED}),
        S.CANCELLED,
        Side.ORGANISATION,
        label=_l("Aflys aktiviteten"),
        needs_text=True,
        tells=frozenset({Side.INSTITUTION}),
    ),
)


def side_decision(user: User, activity: Activity, side: Side) -> bool:
    if side == Side.INSTITUTION:
        return bool(can_decide_activity(user, activity))
    return bool(can_propose_activities(user, activity.organisation))


def require_staff(user: User, organisation: Organisation) -> None:
    if not can_propose_activities(user, organisation):
        raise WorkflowError(
            _l("Kun en godkendt organisations medarbejdere kan foreslå aktiviteter.")
        )


def change_action(activity: Activity) -> str:
    """Which edit a change of the activity is now: ``change`` after approval, else ``resend``."""
    return "change" if activity.state == S.APPROVED else "resend"


class ActivityWorkflow(transitions.Workflow[Activity]):
    transitions = TRANSITIONS
    event_model = ActivityEvent
    event_key = "activity_id"
    object_type = "activity"
    audit_prefix = "activity."
    conflict = CONFLICT
    not_allowed = _l("Du kan ikke foretage denne handling på aktiviteten.")
    missing_text = _l("Skriv en begrundelse eller besked.")

    def wrong_state(self, case: Activity) -> Any:
        from portal.labels import label

        return _l(
            "Det kan ikke lade sig gøre, når aktiviteten har status \u201d%(state)s\u201d.",
            state=label(case.state),
        )

    def may(self, actor: User, case: Activity, transition: Transition) -> bool:
        return side_decision(actor, case, transition.side)

    def check(self, move: Move[Activity]) -> None:
        if move.action == "approve":
            _refuse_if_rules_fail(move.case)

    def change(self, move: Move[Activity]) -> None:
        activity, action = move.case, move.action
        if action in ("approve", "refuse", "request_changes"):
            activity.decided_at = utcnow()
            activity.decided_by_id = move.actor.id
            activity.decision_reason = move.text
        elif action == "cancel":
            activity.cancel_reason = move.text
        if move.transition.edits or action in ("approve", "cancel", "withdraw"):
            # Calendars that hold the activity pick up the change (or its removal).
            activity.sequence += 1

    def tell(self, move: Move[Activity]) -> None:
        notify(move.case, move.transition.tells, move.action, move.actor, move.text)


WORKFLOW = ActivityWorkflow()
BY_ACTION = WORKFLOW.by_action
# The workflow's steps, as the rest of the portal calls them. ``apply(activity, action,
# actor, text=, expected_version=, before=)`` changes the state; ``before`` runs checks (and,
# for the edits, the change itself) after the workflow's; approving checks the rules again
# as they are now. ``available(user, activity)``: the buttons and the change form.
available = WORKFLOW.available
apply = WORKFLOW.apply
record_event = WORKFLOW.record_event
history = WORKFLOW.history


def record_sent(activity: Activity, actor: User) -> None:
    """History, audit and e-mails for a new proposal (made by ``activities.propose``)."""
    record_event(activity, "send", actor, to_state=S.SENT.value)
    WORKFLOW.audit(
        activity,
        "send",
        actor,
        {"to": S.SENT.value, "institution": str(activity.institution_id)},
    )
    notify(activity, frozenset({Side.INSTITUTION}), "send", actor, "")


def _refuse_if_rules_fail(activity: Activity) -> None:
    from portal.services import activities

    problems = activities.problems_now(activity)
    if problems:
        raise activities.ProposalRefused(problems)


def post_message(activity: Activity, actor: User, text: str) -> ActivityEvent:
    """A message to the other side, without a change of state."""
    sides = [side for side in Side if side_decision(actor, activity, side)]
    other = frozenset(Side) - frozenset(sides) or frozenset(Side)
    return WORKFLOW.post_message(
        activity,
        actor,
        text,
        refusal=None if sides else _l("Du kan ikke skrive om denne aktivitet."),
        tell=lambda message: notify(activity, other, "message", actor, message),
    )


# --- e-mail ----------------------------------------------------------------------------------


def recipients(activity: Activity, side: Side) -> list[User]:
    """The active people of one side: the organisation's admins and the proposal's author;
    the institution's contact people, or the area office's caseworkers if it has none."""
    if side == Side.ORGANISATION:
        return transitions.active_users(
            transitions.admins_and_author(activity.organisation_id, activity.created_by_id)
        )
    contacts = transitions.active_users(
        (RoleAssignment.role == Role.INSTITUTION_CONTACT)
        & (RoleAssignment.institution_id == activity.institution_id)
    )
    return contacts or transitions.active_users(
        (RoleAssignment.role == Role.CASEWORKER)
        & (RoleAssignment.area_office_id == activity.institution.area_office_id)
    )


def notify(
    activity: Activity, sides: frozenset[Side], action: str, actor: User | None, text: str
) -> None:
    """E-mail the people of ``sides``, each in their own language (not the one who acted)."""
    people = transitions.people_to_tell(sides, lambda side: recipients(activity, side), actor)
    for side, person in people:
        mail.send_template(
            person.email,
            "activity_case",
            language=person.language,
            name=person.name,
            action=action,
            title=activity.title,
            organisation=activity.organisation.name,
            institution=activity.institution.name,
            for_institution=side == Side.INSTITUTION,
            text=text,
            link=mail.external_url("activities.activity", activity_id=activity.id),
        )
