"""The life of a grant application after it is sent, as data: which action moves it from
which state to which, which side takes it, and whom it tells. ``apply`` is the one function
that changes the state; the steps it shares with the activity and onboarding workflows
(version check, history, audit) are in ``transitions``.

The office side is the grant officers; the organisation side is the organisation's admins
(who answer a grant) and, for messages, all its staff.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal import mail
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
from portal.services import transitions
from portal.services.transitions import Move

S = ApplicationState

CONFLICT = _l(
    "Ansøgningen er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
)


class Side(enum.StrEnum):
    ORGANISATION = "organisation"  # the organisation's admins (and, for messages, its staff)
    OFFICE = "office"  # the grant officers


@dataclass(frozen=True)
class Transition(transitions.Transition):
    side: Side
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
        label=_l("De formelle krav er opfyldt"),
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "screen_reject",
        frozenset({S.SUBMITTED}),
        S.INELIGIBLE,
        Side.OFFICE,
        label=_l("Afvis: de formelle krav er ikke opfyldt"),
        needs_text=True,
        tells=frozenset({Side.ORGANISATION}),
    ),
    Transition(
        "decide",
        frozenset({S.IN_REVIEW}),
        S.DECIDED,
        Side.OFFICE,
        label=_l("Træf afgørelse"),
        # The decision letter tells the organisation, with the letter attached
        # (grant_letters.issue_letter).
        form=True,
    ),
    Transition(
        "accept",
        frozenset({S.DECIDED}),
        S.ACCEPTED,
        Side.ORGANISATION,
        label=_l("Tag imod tilskuddet og betingelserne"),
        tells=frozenset({Side.OFFICE}),
        granting_only=True,
    ),
    Transition(
        "decline",
        frozenset({S.DECIDED}),
        S.DECLINED,
        Side.ORGANISATION,
        label=_l("Sig nej tak til tilskuddet"),
        needs_text=True,
        tells=frozenset({Side.OFFICE}),
        granting_only=True,
    ),
    Transition(
        "close",
        frozenset({S.ACCEPTED}),
        S.CLOSED,
        Side.OFFICE,
        label=_l("Luk tilskudssagen"),
        tells=frozenset({Side.ORGANISATION}),
        form=True,
    ),
)
# The round must be in assessment for screening and decisions (after the deadline, before
# the round is marked decided).
ASSESSMENT_ACTIONS = frozenset({"screen_pass", "screen_reject", "decide"})


def side_decision(user: User, application: GrantApplication, side: Side) -> bool:
    if side == Side.OFFICE:
        return bool(can_assess_application(user, application))
    return bool(can_answer_grant(user, application))


class GrantWorkflow(transitions.Workflow[GrantApplication]):
    transitions = TRANSITIONS
    event_model = GrantApplicationEvent
    event_key = "application_id"
    object_type = "grant_application"
    audit_prefix = "grant_application."
    audit_actor = True
    conflict = CONFLICT
    not_allowed = _l("Du kan ikke foretage denne handling på ansøgningen.")
    missing_text = _l("Skriv en begrundelse.")

    def wrong_state(self, case: GrantApplication) -> Any:
        from portal.labels import label

        return _l(
            "Det kan ikke lade sig gøre, når ansøgningen har status \u201d%(state)s\u201d.",
            state=label(case.state),
        )

    def blocked(self, case: GrantApplication, transition: Transition, **options: Any) -> Any:
        reason = super().blocked(case, transition)
        if reason is not None:
            return reason
        if transition.granting_only and case.decision not in GRANTING:
            return _l("Ansøgningen har ikke fået tilskud.")
        if transition.action in ASSESSMENT_ACTIONS and case.round.state != RoundState.IN_ASSESSMENT:
            return _l("Runden er ikke under bedømmelse.")
        return None

    def may(self, actor: User, case: GrantApplication, transition: Transition) -> bool:
        return side_decision(actor, case, transition.side)

    def change(self, move: Move[GrantApplication]) -> None:
        application, action, actor = move.case, move.action, move.actor
        if action in ("screen_pass", "screen_reject"):
            application.screened_at = utcnow()
            application.screened_by_id = actor.id
            application.screening_reason = move.text
        elif action in ("accept", "decline"):
            application.accepted_at = utcnow() if action == "accept" else None
            application.accepted_by_id = actor.id

    def tell(self, move: Move[GrantApplication]) -> None:
        notify(move.case, move.transition.tells, move.action, move.actor, move.text)


WORKFLOW = GrantWorkflow()
BY_ACTION = WORKFLOW.by_action
# The workflow's steps, as the rest of the portal calls them. ``apply(application, action,
# actor, text=, expected_version=, before=, details=)`` changes the state; ``before`` makes
# the changes that belong to the action (the decision's amount, the repayment) after the
# checks; ``details`` go into the audit entry.
available = WORKFLOW.available
apply = WORKFLOW.apply
record_event = WORKFLOW.record_event
history = WORKFLOW.history


def post_message(application: GrantApplication, actor: User, text: str) -> GrantApplicationEvent:
    """A message between the organisation and the grant officers, without a change of state."""
    office = bool(can_assess_application(actor, application))
    staff = application.organisation_id in (
        actor.scopes(Role.NGO_ADMIN) | actor.scopes(Role.NGO_MEMBER)
    )
    allowed = (office or staff) and can_view_application(actor, application)
    return WORKFLOW.post_message(
        application,
        actor,
        text,
        refusal=None if allowed else _l("Du kan ikke skrive om denne ansøgning."),
        tell=lambda message: notify(
            application,
            frozenset({Side.ORGANISATION if office else Side.OFFICE}),
            "message",
            actor,
            message,
        ),
    )


# --- e-mail ----------------------------------------------------------------------------------


def recipients(application: GrantApplication, side: Side) -> list[User]:
    """The organisation's admins and the person who submitted; or the grant officers."""
    if side == Side.ORGANISATION:
        return transitions.active_users(
            transitions.admins_and_author(application.organisation_id, application.submitted_by_id)
        )
    return transitions.active_users(RoleAssignment.role == Role.GRANT_OFFICER)


def notify(
    application: GrantApplication,
    sides: frozenset[Side],
    action: str,
    actor: User | None,
    text: str,
    attachments: tuple[mail.Attachment, ...] = (),
) -> None:
    """E-mail the people of ``sides``, each in their own language (not the one who acted)."""
    people = transitions.people_to_tell(sides, lambda side: recipients(application, side), actor)
    for side, person in people:
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
            link=mail.external_url("grant_applications.application", application_id=application.id),
        )
