"""The life of a grant application after it is sent, as data: which action moves it from
which state to which, which side takes it, and whom it tells. ``apply`` is the one function
that changes the state (version check, history, audit, e-mail), as in the activity and
onboarding workflows.

The office side is the grant officers; the organisation side is the organisation's admins
(who answer a grant) and, for messages, all its staff.
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
from portal.auth.permissions import (
    can_answer_grant,
    can_assess_application,
    can_view_application,
)
from portal.db import utcnow
from portal.models import (
    GRANTING,
    ApplicationState,
    GrantApplication,
    GrantApplicationEvent,
    Role,
    RoleAssignment,
    RoundState,
    User,
)
from portal.services.workflow import ConflictError, WorkflowError

S = ApplicationState

CONFLICT = _l(
    "Ansøgningen er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
)


class Side(enum.StrEnum):
    ORGANISATION = "organisation"  # the organisation's admins (and, for messages, its staff)
    OFFICE = "office"  # the grant officers


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: frozenset[ApplicationState]
    to_state: ApplicationState
    side: Side
    label: Any
    needs_text: bool = False
    tells: frozenset[Side] = frozenset()
    # Taken through its own form and service (the decision with its amount, closing with
    # the repayment), not a plain button.
    form: bool = False
    # Only for a granted application (decision granted or partly granted).
    granting_only: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "screen_pass",
        frozenset({S.SUBMITTED}),
        S.IN_REVIEW,
        Side.OFFICE,
        _l("De formelle krav er opfyldt"),
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "screen_reject",
        frozenset({S.SUBMITTED}),
        S.INELIGIBLE,
        Side.OFFICE,
        _l("Afvis: de formelle krav er ikke opfyldt"),
        needs_text=True,
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "decide",
        frozenset({S.IN_REVIEW}),
        S.DECIDED,
        Side.OFFICE,
        _l("Træf afgørelse"),
        # The decision letter tells the organisation, with the letter attached
        # (grant_letters.issue_letter).
        form=True,
    ),
    Transition(
        "accept",
        frozenset({S.DECIDED}),
        S.ACCEPTED,
        Side.ORGANISATION,
        _l("Tag imod tilskuddet og betingelserne"),
        tells=frozenset({Side.OFFICE}),
        granting_only=True,
    ),
    Transition(
        "decline",
        frozenset({S.DECIDED}),
        S.DECLINED,
        Side.ORGANISATION,
        _l("Sig nej tak til tilskuddet"),
        needs_text=True,
        tells=frozenset({Side.OFFICE}),
        granting_only=True,
    ),
    Transition(
        "close",
        frozenset({S.ACCEPTED}),
        S.CLOSED,
        Side.OFFICE,
        _l("Luk tilskudssagen"),
        tells=frozenset({Side.ORGANISATION}),
        form=True,
    ),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}

# The round must be in assessment for screening and decisions (after the deadline, before
# the round is marked decided).
ASSESSMENT_ACTIONS = frozenset({"screen_pass", "screen_reject", "decide"})


def side_decision(user: User, application: GrantApplication, side: Side) -> bool:
    if side == Side.OFFICE:
        return bool(can_assess_application(user, application))
    return bool(can_answer_grant(user, application))


def _blocked(application: GrantApplication, transition: Transition) -> Any | None:
    """Why the transition cannot be taken now, whoever asks (None: it can)."""
    from portal.labels import label

    if application.state not in transition.from_states:
        return _l(
            "Det kan ikke lade sig gøre, når ansøgningen har status \u201d%(state)s\u201d.",
            state=label(application.state),
        )
    if transition.granting_only and application.decision not in GRANTING:
        return _l("Ansøgningen har ikke fået tilskud.")
    if (
        transition.action in ASSESSMENT_ACTIONS
        and application.round.state != RoundState.IN_ASSESSMENT
    ):
        return _l("Runden er ikke under bedømmelse.")
    return None


def available(user: User, application: GrantApplication) -> list[Transition]:
    """The actions this user may take on the application now."""
    return [
        t
        for t in TRANSITIONS
        if _blocked(application, t) is None and side_decision(user, application, t.side)
    ]


def record_event(
    application: GrantApplication,
    action: str,
    actor: User | None,
    *,
    from_state: str = "",
    to_state: str = "",
    text: str = "",
) -> GrantApplicationEvent:
    event = GrantApplicationEvent(
        application_id=application.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id if actor else None,
        text=text,
    )
    db.session.add(event)
    return event


def apply(
    application: GrantApplication,
    action: str,
    actor: User,
    *,
    text: str = "",
    expected_version: int | None = None,
    before: Callable[[GrantApplication], None] | None = None,
    details: dict[str, Any] | None = None,
) -> Transition:
    """Take ``action``: check it is allowed now and for this user, change the state, write
    the history and the audit entry, and queue the e-mails. ``before`` makes the changes
    that belong to the action (the decision's amount, the repayment) after the checks."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise WorkflowError(_l("Handlingen findes ikke."))
    if expected_version is not None and expected_version != application.version:
        raise ConflictError(CONFLICT)
    reason = _blocked(application, transition)
    if reason is not None:
        raise WorkflowError(reason)
    if not side_decision(actor, application, transition.side):
        raise WorkflowError(_l("Du kan ikke foretage denne handling på ansøgningen."))
    text = text.strip()
    if transition.needs_text and not text:
        raise WorkflowError(_l("Skriv en begrundelse."))
    now = utcnow()
    if action in ("screen_pass", "screen_reject"):
        application.screened_at = now
        application.screened_by_id = actor.id
        application.screening_reason = text
    elif action in ("accept", "decline"):
        application.accepted_at = now if action == "accept" else None
        application.accepted_by_id = actor.id
    if before is not None:
        before(application)
    from_state = application.state
    application.state = transition.to_state
    record_event(
        application,
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
        f"grant_application.{action}",
        object_type="grant_application",
        object_id=application.id,
        details={
            "from": from_state.value,
            "to": transition.to_state.value,
            "version": application.version,
            **(details or {}),
        },
        actor_id=str(actor.id),
    )
    notify(application, transition.tells, action, actor, text)
    return transition


def post_message(application: GrantApplication, actor: User, text: str) -> GrantApplicationEvent:
    """A message between the organisation and the grant officers, without a change of state."""
    office = bool(can_assess_application(actor, application))
    staff = application.organisation_id in (
        actor.scopes(Role.NGO_ADMIN) | actor.scopes(Role.NGO_MEMBER)
    )
    if not (office or staff) or not can_view_application(actor, application):
        raise WorkflowError(_l("Du kan ikke skrive om denne ansøgning."))
    text = text.strip()
    if not text:
        raise WorkflowError(_l("Skriv en besked."))
    event = record_event(application, "message", actor, text=text)
    db.session.flush()
    audit.record(
        "grant_application.message",
        object_type="grant_application",
        object_id=application.id,
        actor_id=str(actor.id),
    )
    notify(
        application,
        frozenset({Side.ORGANISATION if office else Side.OFFICE}),
        "message",
        actor,
        text,
    )
    return event


def history(application: GrantApplication) -> list[GrantApplicationEvent]:
    return list(
        db.session.scalars(
            select(GrantApplicationEvent)
            .where(GrantApplicationEvent.application_id == application.id)
            .order_by(GrantApplicationEvent.created_at, GrantApplicationEvent.id)
        )
    )


# --- e-mail ----------------------------------------------------------------------------------


def recipients(application: GrantApplication, side: Side) -> list[User]:
    """The organisation's admins and the person who submitted; or the grant officers."""
    if side == Side.ORGANISATION:
        condition = (RoleAssignment.role == Role.NGO_ADMIN) & (
            RoleAssignment.organisation_id == application.organisation_id
        )
        if application.submitted_by_id is not None:
            condition = condition | (
                (RoleAssignment.user_id == application.submitted_by_id)
                & (RoleAssignment.organisation_id == application.organisation_id)
            )
    else:
        condition = RoleAssignment.role == Role.GRANT_OFFICER
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
    application: GrantApplication,
    sides: frozenset[Side],
    action: str,
    actor: User | None,
    text: str,
    attachments: tuple[mail.Attachment, ...] = (),
) -> None:
    """E-mail the people of ``sides``, each in their own language (not the one who acted)."""
    told = set()
    for side in sorted(sides):
        for person in recipients(application, side):
            if (actor is not None and person.id == actor.id) or person.id in told:
                continue
            told.add(person.id)
            mail.send_template(
                person.email,
                "grant_case",
                language=person.language,
                attachments=attachments,
                name=person.name,
                action=action,
                title=application.title,
                organisation=application.organisation.name,
                round=application.round.name_for(person.language),
                for_office=side == Side.OFFICE,
                text=text,
                link=mail.external_url(
                    "grant_applications.application", application_id=application.id
                ),
            )
