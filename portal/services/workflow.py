"""The onboarding workflow as data: which action moves a case from which state to which, and who
may take it. ``apply`` is the one function that changes a case's state; the steps it shares
with the other workflows (version check, history, audit) are in ``transitions``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import db, mail
from portal.auth.permissions import ALLOW, Decision
from portal.db import utcnow
from portal.models import (
    AreaOffice,
    EventKind,
    Organisation,
    OrganisationEvent,
    OrganisationState,
    Role,
    RoleAssignment,
    User,
)
from portal.services import transitions
from portal.services.transitions import ConflictError as ConflictError  # re-exported
from portal.services.transitions import Move, WorkflowError

S = OrganisationState


class Actor(enum.StrEnum):
    ORGANISATION_ADMIN = "organisation_admin"  # an NGO admin of this organisation
    ORGANISATION_STAFF = "organisation_staff"  # an NGO admin or member of this organisation
    CASEWORKER = "caseworker"  # a caseworker of the organisation's area office


class Notify(enum.Flag):
    NOBODY = 0
    ORGANISATION = enum.auto()  # the organisation's admins
    AREA_OFFICE = enum.auto()  # the caseworkers of its (new) area office


@dataclass(frozen=True)
class Transition(transitions.Transition):
    actor: Actor
    notify: Notify = Notify.NOBODY


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit",
        frozenset({S.DRAFT}),
        S.SUBMITTED,
        Actor.ORGANISATION_ADMIN,
        label=_l("Send ansøgningen"),
        notify=Notify.ORGANISATION | Notify.AREA_OFFICE,
    ),
    # Taking a case in review takes it over from a colleague (who is away, say).
    Transition(
        "take",
        frozenset({S.SUBMITTED, S.IN_REVIEW}),
        S.IN_REVIEW,
        Actor.CASEWORKER,
        label=_l("Tag sagen"),
    ),
    Transition(
        "request_information",
        frozenset({S.IN_REVIEW}),
        S.MORE_INFORMATION,
        Actor.CASEWORKER,
        label=_l("Bed om flere oplysninger"),
        needs_text=True,
        notify=Notify.ORGANISATION,
    ),
    Transition(
        "answer",
        frozenset({S.MORE_INFORMATION}),
        S.SUBMITTED,
        Actor.ORGANISATION_STAFF,
        label=_l("Send svar"),
        needs_text=True,
        notify=Notify.AREA_OFFICE,
    ),
    Transition(
        "approve",
        frozenset({S.IN_REVIEW}),
        S.APPROVED,
        Actor.CASEWORKER,
        label=_l("Godkend organisationen"),
        notify=Notify.ORGANISATION,
    ),
    Transition(
        "reject",
        frozenset({S.IN_REVIEW}),
        S.REJECTED,
        Actor.CASEWORKER,
        label=_l("Afvis"),
        needs_text=True,
        notify=Notify.ORGANISATION,
    ),
    Transition(
        "hand_over",
        frozenset({S.SUBMITTED, S.IN_REVIEW, S.MORE_INFORMATION}),
        S.SUBMITTED,
        Actor.CASEWORKER,
        label=_l("Overdrag til det andet områdekontor"),
        needs_text=True,
        notify=Notify.AREA_OFFICE,
    ),
    Transition(
        "suspend",
        frozenset({S.APPROVED}),
        S.SUSPENDED,
        Actor.CASEWORKER,
        label=_l("Suspendér samarbejdet"),
        needs_text=True,
        notify=Notify.ORGANISATION,
    ),
    Transition(
        "reinstate",
        frozenset({S.SUSPENDED}),
        S.APPROVED,
        Actor.CASEWORKER,
        label=_l("Genoptag samarbejdet"),
        notify=Notify.ORGANISATION,
    ),
)

CONFLICT = _l(
    "Sagen er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
)


def actor_decision(user: User, organisation: Organisation, actor: Actor) -> Decision:
    if actor == Actor.CASEWORKER:
        if organisation.area_office_id in user.scopes(Role.CASEWORKER):
            return ALLOW
        return Decision(False, "not a caseworker of the organisation's area office")
    admins = user.scopes(Role.NGO_ADMIN)
    if actor == Actor.ORGANISATION_ADMIN:
        return (
            ALLOW
            if organisation.id in admins
            else Decision(False, "not an admin of the organisation")
        )
    if organisation.id in admins | user.scopes(Role.NGO_MEMBER):
        return ALLOW
    return Decision(False, "not staff of the organisation")


def _already_handles(user: User, organisation: Organisation, action: str) -> bool:
    """Taking a case one already has in review changes nothing."""
    return (
        action == "take"
        and organisation.state == S.IN_REVIEW
        and organisation.handled_by_id == user.id
    )


class OnboardingWorkflow(transitions.Workflow[Organisation]):
    transitions = TRANSITIONS
    event_model = OrganisationEvent
    event_key = "organisation_id"
    object_type = "organisation"
    audit_prefix = "organisation."
    conflict = CONFLICT
    not_allowed = _l("Du kan ikke foretage denne handling på sagen.")
    missing_text = _l("Skriv en begrundelse eller besked.")

    def wrong_state(self, case: Organisation) -> Any:
        return _l(
            "Det kan ikke lade sig gøre, når sagen har status \u201d%(state)s\u201d.",
            state=_state_label(case.state),
        )

    def may(self, actor: User, case: Organisation, transition: Transition) -> bool:
        return bool(actor_decision(actor, case, transition.actor))

    def available(self, user: User, case: Organisation) -> list[Transition]:
        return [
            t for t in super().available(user, case) if not _already_handles(user, case, t.action)
        ]

    def check(self, move: Move[Organisation]) -> None:
        # Only "take" can be taken again, and it needs no text: this comes after the text.
        if _already_handles(move.actor, move.case, move.action):
            raise WorkflowError(_l("Du har allerede sagen."))

    def change(self, move: Move[Organisation]) -> None:
        organisation, action, actor, text = move.case, move.action, move.actor, move.text
        now = utcnow()
        if action == "submit":
            organisation.submitted_at = now
        elif action == "take":
            organisation.handled_by_id = actor.id
        elif action == "answer":
            # The answer is its own row of the history; the transition's row has no text.
            record_event(organisation, EventKind.ANSWER, actor, action=action, text=text)
            move.event_text = ""
        elif action in ("approve", "reject"):
            organisation.decided_at = now
            organisation.decision_reason = text
        elif action == "hand_over":
            organisation.area_office = _other_area_office(organisation)
            organisation.handled_by_id = None
        elif action == "suspend":
            organisation.suspension_reason = text
        elif action == "reinstate":
            organisation.suspension_reason = ""

    def flush(self) -> None:
        try:
            super().flush()
        except IntegrityError:
            # Only the unique index on active CVR numbers can refuse this write: another
            # organisation with the same CVR was sent at the same moment.
            db.session.rollback()
            raise WorkflowError(
                _l(
                    "Der er allerede en organisation med dette CVR-nummer i portalen. Kontakt områdekontoret, hvis det er jeres."
                )
            ) from None

    def record_event(
        self,
        case: Organisation,
        action: str,
        actor: User | None,
        *,
        kind: EventKind = EventKind.TRANSITION,
        **fields: Any,
    ) -> OrganisationEvent:
        return super().record_event(case, action, actor, kind=kind, **fields)

    def tell(self, move: Move[Organisation]) -> None:
        if move.transition.notify:
            notify(move.case, move.transition.notify, move.action, move.actor, move.text)


WORKFLOW = OnboardingWorkflow()
BY_ACTION = WORKFLOW.by_action
# The workflow's steps, as the rest of the portal calls them. ``apply(organisation, action,
# actor, text=, expected_version=, before=)`` changes the state; ``before`` runs checks of
# its own (e.g. a complete application before ``submit``). ``available(user, organisation)``:
# the buttons on a page.
available = WORKFLOW.available
apply = WORKFLOW.apply
history = WORKFLOW.history


def record_event(
    organisation: Organisation,
    kind: EventKind,
    actor: User | None,
    *,
    action: str = "",
    from_state: str = "",
    to_state: str = "",
    text: str = "",
) -> OrganisationEvent:
    return WORKFLOW.record_event(
        organisation,
        action,
        actor,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        text=text,
    )


def _other_area_office(organisation: Organisation) -> AreaOffice:
    other = db.session.scalar(
        select(AreaOffice).where(AreaOffice.id != organisation.area_office_id)
    )
    if other is None:
        raise WorkflowError(_l("Der er ikke noget andet områdekontor at overdrage til."))
    return other


def post_message(organisation: Organisation, actor: User, text: str) -> OrganisationEvent:
    """A caseworker's message to the organisation, without a change of state."""
    return WORKFLOW.post_message(
        organisation,
        actor,
        text,
        refusal=None
        if actor_decision(actor, organisation, Actor.CASEWORKER)
        else _l("Du kan ikke skrive til denne organisation."),
        tell=lambda message: notify(organisation, Notify.ORGANISATION, "message", actor, message),
        kind=EventKind.MESSAGE,
    )


# --- notifications --------------------------------------------------------------------------


def _state_label(state: OrganisationState) -> str:
    from portal.labels import label

    return label(state)


def recipients(organisation: Organisation, notify: Notify) -> list[User]:
    """The active people to tell: the organisation's admins and/or its area office's caseworkers."""
    clauses = []
    if Notify.ORGANISATION in notify:
        clauses.append(
            (RoleAssignment.role == Role.NGO_ADMIN)
            & (RoleAssignment.organisation_id == organisation.id)
        )
    if Notify.AREA_OFFICE in notify:
        clauses.append(
            (RoleAssignment.role == Role.CASEWORKER)
            & (RoleAssignment.area_office_id == organisation.area_office_id)
        )
    if not clauses:
        return []
    condition = clauses[0] if len(clauses) == 1 else clauses[0] | clauses[1]
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.active, condition)
            .distinct()
        )
    )


def notify(organisation: Organisation, whom: Notify, action: str, actor: User, text: str) -> None:
    """E-mail the people concerned, each in their own language."""
    for person in recipients(organisation, whom):
        # The one who acted is not told what they just did; the applicant who sends the
        # application is the exception: that e-mail is their receipt.
        if person.id == actor.id and action != "submit":
            continue
        staff = Role.CASEWORKER in person.roles and organisation.area_office_id in person.scopes(
            Role.CASEWORKER
        )
        mail.send_template(
            person.email,
            "organisation_case",
            language=person.language,
            name=person.name,
            action=action,
            organisation=organisation.name,
            state=organisation.state,
            text=text,
            for_staff=staff,
            link=mail.external_url("cases.case", organisation_id=organisation.id)
            if staff
            else mail.external_url("onboarding.status", organisation_id=organisation.id),
        )
