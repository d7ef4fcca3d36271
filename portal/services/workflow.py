"""The onboarding workflow as data: which action moves a case from which state to which, and who
may take it. ``apply`` is the one function that changes a case's state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db, mail
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
class Transition:
    action: str
    from_states: frozenset[OrganisationState]
    to_state: OrganisationState
    actor: Actor
    label: Any
    needs_text: bool = False
    notify: Notify = Notify.NOBODY


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit",
        frozenset({S.DRAFT}),
        S.SUBMITTED,
        Actor.ORGANISATION_ADMIN,
        _l("Send ansøgningen"),
        notify=Notify.ORGANISATION | Notify.AREA_OFFICE,
    ),
    # Taking a case in review takes it over from a colleague (who is away, say).
    Transition(
        "take",
        frozenset({S.SUBMITTED, S.IN_REVIEW}),
        S.IN_REVIEW,
        Actor.CASEWORKER,
        _l("Tag sagen"),
    ),
    Transition(
        "request_information",
        frozenset({S.IN_REVIEW}),
        S.MORE_INFORMATION,
        Actor.CASEWORKER,
        _l("Bed om flere oplysninger"),
        needs_text=True,
        notify=Notify.ORGANISATION,
    ),
    Transition(
        "answer",
        frozenset({S.MORE_INFORMATION}),
        S.SUBMITTED,
        Actor.ORGANISATION_STAFF,
        _l("Send svar"),
        needs_text=True,
        notify=Notify.AREA_OFFICE,
    ),
    Transition(
        "approve",
        frozenset({S.IN_REVIEW}),
        S.APPROVED,
        Actor.CASEWORKER,
        _l("Godkend organisationen"),
        notify=Notify.ORGANISATION,
    ),
    Transition(
        "reject",
        frozenset({S.IN_REVIEW}),
        S.REJECTED,
        Actor.CASEWORKER,
        _l("Afvis"),
        needs_text=True,
        notify=Notify.ORGANISATION,
    ),
    Transition(
        "hand_over",
        frozenset({S.SUBMITTED, S.IN_REVIEW, S.MORE_INFORMATION}),
        S.SUBMITTED,
        Actor.CASEWORKER,
        _l("Overdrag til det andet områdekontor"),
        needs_text=True,
        notify=Notify.AREA_OFFICE,
    ),
    Transition(
        "suspend",
        frozenset({S.APPROVED}),
        S.SUSPENDED,
        Actor.CASEWORKER,
        _l("Suspendér samarbejdet"),
        needs_text=True,
        notify=Notify.ORGANISATION,
    ),
    Transition(
        "reinstate",
        frozenset({S.SUSPENDED}),
        S.APPROVED,
        Actor.CASEWORKER,
        _l("Genoptag samarbejdet"),
        notify=Notify.ORGANISATION,
    ),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


class WorkflowError(Exception):
    """A refused action, with a message for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class ConflictError(WorkflowError):
    """Someone else changed the case since the user loaded it."""


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


def available(user: User, organisation: Organisation) -> list[Transition]:
    """The actions this user may take on this case now (for the buttons on a page)."""
    return [
        t
        for t in TRANSITIONS
        if organisation.state in t.from_states
        and actor_decision(user, organisation, t.actor)
        and not _already_handles(user, organisation, t.action)
    ]


def _already_handles(user: User, organisation: Organisation, action: str) -> bool:
    """Taking a case one already has in review changes nothing."""
    return (
        action == "take"
        and organisation.state == S.IN_REVIEW
        and organisation.handled_by_id == user.id
    )


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
    event = OrganisationEvent(
        organisation_id=organisation.id,
        kind=kind,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id if actor else None,
        text=text,
    )
    db.session.add(event)
    return event


def _other_area_office(organisation: Organisation) -> AreaOffice:
    other = db.session.scalar(
        select(AreaOffice).where(AreaOffice.id != organisation.area_office_id)
    )
    if other is None:
        raise WorkflowError(_l("Der er ikke noget andet områdekontor at overdrage til."))
    return other


def apply(
    organisation: Organisation,
    action: str,
    actor: User,
    *,
    text: str = "",
    expected_version: int | None = None,
    before: Any = None,
) -> Transition:
    """Take ``action`` on the case: check it is allowed now and for this user, change the state
    and what depends on it, write the history and the audit entry, and queue the e-mails.

    ``expected_version`` is the version the user saw; if the case changed since, nothing is done
    and ConflictError says so. ``before`` runs checks of its own first (e.g. a complete
    application before ``submit``).
    """
    transition = BY_ACTION.get(action)
    if transition is None:
        raise WorkflowError(_l("Handlingen findes ikke."))
    if expected_version is not None and expected_version != organisation.version:
        raise ConflictError(
            _l(
                "Sagen er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
            )
        )
    if organisation.state not in transition.from_states:
        raise WorkflowError(
            _l(
                "Det kan ikke lade sig gøre, når sagen har status \u201d%(state)s\u201d.",
                state=_state_label(organisation.state),
            )
        )
    decision = actor_decision(actor, organisation, transition.actor)
    if not decision:
        raise WorkflowError(_l("Du kan ikke foretage denne handling på sagen."))
    if _already_handles(actor, organisation, action):
        raise WorkflowError(_l("Du har allerede sagen."))
    text = text.strip()
    if transition.needs_text and not text:
        raise WorkflowError(_l("Skriv en begrundelse eller besked."))
    if before is not None:
        before(organisation)

    from_state = organisation.state
    now = utcnow()
    if action == "submit":
        organisation.submitted_at = now
    elif action == "take":
        organisation.handled_by_id = actor.id
    elif action == "answer":
        record_event(organisation, EventKind.ANSWER, actor, action=action, text=text)
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
    organisation.state = transition.to_state

    record_event(
        organisation,
        EventKind.TRANSITION,
        actor,
        action=action,
        from_state=from_state.value,
        to_state=transition.to_state.value,
        text="" if action == "answer" else text,
    )
    try:
        db.session.flush()
    except IntegrityError:
        # Only the unique index on active CVR numbers can refuse this write: another
        # organisation with the same CVR was sent at the same moment.
        db.session.rollback()
        raise WorkflowError(
            _l(
                "Der er allerede en organisation med dette CVR-nummer i portalen. Kontakt områdekontoret, hvis det er jeres."
            )
        ) from None
    except StaleDataError:
        # Another transaction changed the row between our read and this write.
        db.session.rollback()
        raise ConflictError(
            _l(
                "Sagen er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
            )
        ) from None
    audit.record(
        f"organisation.{action}",
        object_type="organisation",
        object_id=organisation.id,
        details={
            "from": from_state.value,
            "to": transition.to_state.value,
            "version": organisation.version,
        },
    )
    if transition.notify:
        notify(organisation, transition.notify, transition.action, actor, text)
    return transition


def post_message(organisation: Organisation, actor: User, text: str) -> OrganisationEvent:
    """A caseworker's message to the organisation, without a change of state."""
    if not actor_decision(actor, organisation, Actor.CASEWORKER):
        raise WorkflowError(_l("Du kan ikke skrive til denne organisation."))
    if not text.strip():
        raise WorkflowError(_l("Skriv en besked."))
    event = record_event(
        organisation, EventKind.MESSAGE, actor, action="message", text=text.strip()
    )
    db.session.flush()
    audit.record("organisation.message", object_type="organisation", object_id=organisation.id)
    notify(organisation, Notify.ORGANISATION, "message", actor, text.strip())
    return event


def history(organisation: Organisation) -> list[OrganisationEvent]:
    return list(
        db.session.scalars(
            select(OrganisationEvent)
            .where(OrganisationEvent.organisation_id == organisation.id)
            .order_by(OrganisationEvent.created_at, OrganisationEvent.id)
        )
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
