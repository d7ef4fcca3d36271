"""The activity workflow as data: which action moves an activity from which state to which,
who may take it and whom it tells. ``apply`` is the one function that changes the state
(the same pattern as the onboarding workflow: version check, history, audit, e-mail).

The organisation's side is its staff; the deciding side is the institution's contact
people and the caseworkers of its area office. E-mails to the deciding side go to the
institution's contact people, or to the area office's caseworkers where the institution
has none in the portal.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db, mail
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
from portal.services.workflow import ConflictError, WorkflowError

S = ActivityState

CONFLICT = _l(
    "Aktiviteten er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
)


class Side(enum.StrEnum):
    ORGANISATION = "organisation"  # the organisation's staff
    INSTITUTION = "institution"  # the institution's contacts and the area office's caseworkers


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: frozenset[ActivityState]
    to_state: ActivityState
    side: Side
    label: Any
    needs_text: bool = False
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
        _l("Godkend aktiviteten"),
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "request_changes",
        frozenset({S.SENT}),
        S.CHANGES_REQUESTED,
        Side.INSTITUTION,
        _l("Bed om ændringer"),
        needs_text=True,
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "refuse",
        frozenset({S.SENT}),
        S.REFUSED,
        Side.INSTITUTION,
        _l("Afvis"),
        needs_text=True,
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "resend",
        frozenset({S.SENT, S.CHANGES_REQUESTED}),
        S.SENT,
        Side.ORGANISATION,
        _l("Ret og send igen"),
        tells=frozenset({Side.INSTITUTION}),
        edits=True,
    ),
    # A change of participants or dates after approval goes back for approval.
    Transition(
        "change",
        frozenset({S.APPROVED}),
        S.SENT,
        Side.ORGANISATION,
        _l("Ændr aktiviteten"),
        tells=frozenset({Side.INSTITUTION}),
        edits=True,
    ),
    Transition(
        "withdraw",
        frozenset({S.SENT, S.CHANGES_REQUESTED}),
        S.WITHDRAWN,
        Side.ORGANISATION,
        _l("Træk forslaget tilbage"),
        tells=frozenset({Side.INSTITUTION}),
    ),
    Transition(
        "cancel",
        frozenset({S.APPROVED}),
        S.CANCELLED,
        Side.ORGANISATION,
        _l("Aflys aktiviteten"),
        needs_text=True,
        tells=frozenset({Side.INSTITUTION}),
    ),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


def side_decision(user: User, activity: Activity, side: Side) -> bool:
    if side == Side.INSTITUTION:
        return bool(can_decide_activity(user, activity))
    return bool(can_propose_activities(user, activity.organisation))


def require_staff(user: User, organisation: Organisation) -> None:
    if not can_propose_activities(user, organisation):
        raise WorkflowError(
            _l("Kun en godkendt organisations medarbejdere kan foreslå aktiviteter.")
        )


def available(user: User, activity: Activity) -> list[Transition]:
    """The actions this user may take on the activity now (buttons and the change form)."""
    return [
        t
        for t in TRANSITIONS
        if activity.state in t.from_states and side_decision(user, activity, t.side)
    ]


def change_action(activity: Activity) -> str:
    """Which edit a change of the activity is now: ``change`` after approval, else ``resend``."""
    return "change" if activity.state == S.APPROVED else "resend"


def record_event(
    activity: Activity,
    action: str,
    actor: User | None,
    *,
    from_state: str = "",
    to_state: str = "",
    text: str = "",
) -> ActivityEvent:
    event = ActivityEvent(
        activity_id=activity.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id if actor else None,
        text=text,
    )
    db.session.add(event)
    return event


def record_sent(activity: Activity, actor: User) -> None:
    """History, audit and e-mails for a new proposal (made by ``activities.propose``)."""
    record_event(activity, "send", actor, to_state=S.SENT.value)
    audit.record(
        "activity.send",
        object_type="activity",
        object_id=activity.id,
        details={"to": S.SENT.value, "institution": str(activity.institution_id)},
    )
    notify(activity, frozenset({Side.INSTITUTION}), "send", actor, "")


def apply(
    activity: Activity,
    action: str,
    actor: User,
    *,
    text: str = "",
    expected_version: int | None = None,
    before: Callable[[Activity], None] | None = None,
) -> Transition:
    """Take ``action`` on the activity: check it is allowed now and for this user, change the
    state, write the history and the audit entry, and queue the e-mails.

    ``expected_version`` is the version the user saw; if the activity changed since, nothing
    is done and ConflictError says so. ``before`` runs checks (and, for the edits, the
    change itself) first; approving checks the rules again as they are now.
    """
    transition = BY_ACTION.get(action)
    if transition is None:
        raise WorkflowError(_l("Handlingen findes ikke."))
    if expected_version is not None and expected_version != activity.version:
        raise ConflictError(CONFLICT)
    if activity.state not in transition.from_states:
        from portal.labels import label

        raise WorkflowError(
            _l(
                "Det kan ikke lade sig gøre, når aktiviteten har status \u201d%(state)s\u201d.",
                state=label(activity.state),
            )
        )
    if not side_decision(actor, activity, transition.side):
        raise WorkflowError(_l("Du kan ikke foretage denne handling på aktiviteten."))
    text = text.strip()
    if transition.needs_text and not text:
        raise WorkflowError(_l("Skriv en begrundelse eller besked."))
    if action == "approve":
        _refuse_if_rules_fail(activity)
    if before is not None:
        before(activity)

    from_state = activity.state
    now = utcnow()
    if action in ("approve", "refuse", "request_changes"):
        activity.decided_at = now
        activity.decided_by_id = actor.id
        activity.decision_reason = text
    elif action == "cancel":
        activity.cancel_reason = text
    if transition.edits or action in ("approve", "cancel", "withdraw"):
        # Calendars that hold the activity pick up the change (or its removal).
        activity.sequence += 1
    activity.state = transition.to_state

    record_event(
        activity,
        action,
        actor,
        from_state=from_state.value,
        to_state=transition.to_state.value,
        text=text,
    )
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(CONFLICT) from None
    audit.record(
        f"activity.{action}",
        object_type="activity",
        object_id=activity.id,
        details={
            "from": from_state.value,
            "to": transition.to_state.value,
            "version": activity.version,
        },
    )
    notify(activity, transition.tells, action, actor, text)
    return transition


def _refuse_if_rules_fail(activity: Activity) -> None:
    from portal.services import activities

    problems = activities.problems_now(activity)
    if problems:
        raise activities.ProposalRefused(problems)


def post_message(activity: Activity, actor: User, text: str) -> ActivityEvent:
    """A message to the other side, without a change of state."""
    sides = [side for side in Side if side_decision(actor, activity, side)]
    if not sides:
        raise WorkflowError(_l("Du kan ikke skrive om denne aktivitet."))
    text = text.strip()
    if not text:
        raise WorkflowError(_l("Skriv en besked."))
    event = record_event(activity, "message", actor, text=text)
    db.session.flush()
    audit.record("activity.message", object_type="activity", object_id=activity.id)
    other = frozenset(Side) - frozenset(sides) or frozenset(Side)
    notify(activity, other, "message", actor, text)
    return event


def history(activity: Activity) -> list[ActivityEvent]:
    return list(
        db.session.scalars(
            select(ActivityEvent)
            .where(ActivityEvent.activity_id == activity.id)
            .order_by(ActivityEvent.created_at, ActivityEvent.id)
        )
    )


# --- e-mail ----------------------------------------------------------------------------------


def recipients(activity: Activity, side: Side) -> list[User]:
    """The active people of one side: the organisation's admins and the proposal's author;
    the institution's contact people, or the area office's caseworkers if it has none."""
    if side == Side.ORGANISATION:
        condition = (RoleAssignment.role == Role.NGO_ADMIN) & (
            RoleAssignment.organisation_id == activity.organisation_id
        )
        if activity.created_by_id is not None:
            condition = condition | (
                (RoleAssignment.user_id == activity.created_by_id)
                & (RoleAssignment.organisation_id == activity.organisation_id)
            )
        return _users(condition)
    contacts = _users(
        (RoleAssignment.role == Role.INSTITUTION_CONTACT)
        & (RoleAssignment.institution_id == activity.institution_id)
    )
    return contacts or _users(
        (RoleAssignment.role == Role.CASEWORKER)
        & (RoleAssignment.area_office_id == activity.institution.area_office_id)
    )


def _users(condition: Any) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.active, condition)
            .distinct()
            .order_by(User.email)
        )
    )


def notify(
    activity: Activity, sides: frozenset[Side], action: str, actor: User | None, text: str
) -> None:
    """E-mail the people of ``sides``, each in their own language (not the one who acted)."""
    told = set()
    for side in sorted(sides):
        for person in recipients(activity, side):
            if (actor is not None and person.id == actor.id) or person.id in told:
                continue
            told.add(person.id)
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
