"""The one transition engine behind the portal's workflows: organisation onboarding
(``workflow``), activities (``activity_workflow``), grant applications (``grant_workflow``) and
data-subject requests (``subject_requests``).

Each workflow is a ``Workflow`` subclass in its own module that holds its rules as data and
small hooks: its transition table, who may act, its extra checks, the fields an action sets,
and whom it tells. This module holds the steps they share, in one order: find the action,
check the version the user saw, check the state and the actor, require the text, change the
state, write the history row and the audit entry, and send the e-mails. Posting a message
and reading the history are shared too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.models import Role, RoleAssignment, User


class WorkflowCase(Protocol):
    """What a workflow moves: an organisation, an activity, an application, a request."""

    id: Any
    state: Any
    version: int


Case = TypeVar("Case", bound=WorkflowCase)
Side = TypeVar("Side", bound=str)


class WorkflowError(Exception):
    """A refused action, with a message for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class ConflictError(WorkflowError):
    """Someone else changed the case since the user loaded it."""


@dataclass(frozen=True)
class Transition:
    """One action: the states it is taken from and the state it leads to. Each workflow adds
    its own fields (who acts, whom it tells) in a subclass; those come positionally after
    ``to_state``, the shared ones below are given by keyword."""

    action: str
    from_states: frozenset[Any]
    to_state: Any
    label: Any = field(kw_only=True)
    needs_text: bool = field(default=False, kw_only=True)
    # What is said when the text is missing, where the workflow's general message does not
    # fit (a transition with one needs its text).
    missing_text: Any = field(default=None, kw_only=True)

    @property
    def text_required(self) -> bool:
        """Whether the action needs a reason or a message."""
        return self.needs_text or self.missing_text is not None


@dataclass
class Move(Generic[Case]):
    """One action as it is being taken: what the workflow's hooks read and may adjust."""

    case: Case
    transition: Transition
    actor: User
    text: str
    from_state: Any
    to_state: Any
    # Options of the workflow's own ``apply`` (a new deadline, say).
    options: dict[str, Any] = field(default_factory=dict)
    # The text of the history row, where it is not ``text``.
    event_text: str | None = None
    # More for the audit entry.
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.transition.action


class Workflow(Generic[Case]):
    """The shared steps of a workflow; a subclass sets the data and overrides the hooks."""

    transitions: tuple[Transition, ...] = ()
    # The history rows: their model and its foreign key to the case.
    event_model: Any
    event_key: str
    # The audit entries: ``<audit_prefix><action>`` on ``object_type``; ``audit_actor`` names
    # the actor in the entry (else the logged-in user of the request is).
    object_type: str
    audit_prefix: str
    audit_actor: bool = False
    # The messages for a stale page, a refused actor and a missing text.
    conflict: Any
    not_allowed: Any = None
    missing_text: Any = None

    def __init__(self) -> None:
        self.by_action: dict[str, Transition] = {t.action: t for t in self.transitions}

    # --- hooks -----------------------------------------------------------------------------

    def wrong_state(self, case: Case) -> Any:
        """The message for an action the case's state does not allow."""
        raise NotImplementedError

    def blocked(self, case: Case, transition: Transition, **options: Any) -> Any:
        """Why the transition cannot be taken now, whoever asks (None: it can)."""
        if case.state not in transition.from_states:
            return self.wrong_state(case)
        return None

    def gate(self, actor: User, case: Case) -> None:
        """A check of the actor before any other (raises WorkflowError)."""

    def may(self, actor: User, case: Case, transition: Transition) -> bool:
        """Whether the actor is on the side that takes the transition."""
        return True

    def check(self, move: Move[Case]) -> None:
        """The workflow's own checks once the shared ones pass (raises WorkflowError)."""

    def change(self, move: Move[Case]) -> None:
        """What the action sets besides the state; may adjust ``move.to_state``,
        ``move.event_text`` and ``move.details``."""

    def tell(self, move: Move[Case]) -> None:
        """The e-mails the action sends."""

    def attach(self, case: Case, event: Any) -> None:
        """Add a history row to the case."""
        setattr(event, self.event_key, case.id)
        db.session.add(event)

    # --- the shared steps ------------------------------------------------------------------

    def find(self, action: str) -> Transition:
        transition = self.by_action.get(action)
        if transition is None:
            raise WorkflowError(_l("Handlingen findes ikke."))
        return transition

    def check_version(self, case: Case, expected_version: int | None) -> None:
        """``expected_version`` is the version the user saw: raise ConflictError if the case
        changed since (None: no check)."""
        if expected_version is not None and expected_version != case.version:
            raise ConflictError(self.conflict)

    def flush(self) -> None:
        """Write the changes; another transaction that changed the row between our read and
        this write makes it a ConflictError."""
        try:
            db.session.flush()
        except StaleDataError:
            db.session.rollback()
            raise ConflictError(self.conflict) from None

    def record_event(
        self,
        case: Case,
        action: str,
        actor: User | None,
        *,
        from_state: str = "",
        to_state: str = "",
        text: str = "",
        **fields: Any,
    ) -> Any:
        """A row of the case's history (``fields``: the workflow's own columns)."""
        event = self.event_model(
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_id=actor.id if actor else None,
            text=text,
            **fields,
        )
        self.attach(case, event)
        return event

    def audit(
        self, case: Case, action: str, actor: User, details: dict[str, Any] | None = None
    ) -> None:
        extra = {"actor_id": str(actor.id)} if self.audit_actor else {}
        audit.record(
            f"{self.audit_prefix}{action}",
            object_type=self.object_type,
            object_id=case.id,
            details=details,
            **extra,
        )

    def available(self, user: User, case: Case) -> list[Any]:
        """The transitions this user may take on the case now."""
        return [
            t for t in self.transitions if self.blocked(case, t) is None and self.may(user, case, t)
        ]

    def apply(
        self,
        case: Case,
        action: str,
        actor: User,
        *,
        text: str = "",
        expected_version: int | None = None,
        before: Callable[[Case], None] | None = None,
        details: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
    ) -> Any:
        """Take ``action`` on the case: check it is allowed now and for this actor, change the
        state and what belongs to it, write the history and the audit entry, and queue the
        e-mails.

        ``expected_version`` is the version the user saw; if the case changed since, nothing
        is done and ConflictError says so. ``before`` runs the caller's own checks (and
        changes) after the workflow's; ``details`` go into the audit entry; ``options`` are
        for the workflow's hooks (a new deadline, say)."""
        options = options or {}
        transition = self.find(action)
        self.gate(actor, case)
        self.check_version(case, expected_version)
        reason = self.blocked(case, transition, **options)
        if reason is not None:
            raise WorkflowError(reason)
        if not self.may(actor, case, transition):
            raise WorkflowError(self.not_allowed)
        text = text.strip()
        if transition.text_required and not text:
            raise WorkflowError(
                transition.missing_text
                if transition.missing_text is not None
                else self.missing_text
            )
        move = Move(case, transition, actor, text, case.state, transition.to_state, options)
        self.check(move)
        if before is not None:
            before(case)
        self.change(move)
        case.state = move.to_state
        self.record_event(
            case,
            action,
            actor,
            from_state=move.from_state.value,
            to_state=move.to_state.value,
            text=text if move.event_text is None else move.event_text,
        )
        self.flush()
        self.audit(
            case,
            action,
            actor,
            {
                "from": move.from_state.value,
                "to": move.to_state.value,
                "version": case.version,
                **move.details,
                **(details or {}),
            },
        )
        self.tell(move)
        return transition

    def post_message(
        self,
        case: Case,
        actor: User,
        text: str,
        *,
        refusal: Any,
        tell: Callable[[str], None],
        **fields: Any,
    ) -> Any:
        """A message on the case without a change of state. ``refusal`` is why the actor may
        not write (None: they may); ``tell`` sends the e-mails with the text."""
        if refusal is not None:
            raise WorkflowError(refusal)
        text = text.strip()
        if not text:
            raise WorkflowError(_l("Skriv en besked."))
        event = self.record_event(case, "message", actor, text=text, **fields)
        db.session.flush()
        self.audit(case, "message", actor)
        tell(text)
        return event

    def history(self, case: Case) -> list[Any]:
        """The case's history rows, oldest first."""
        model = self.event_model
        return list(
            db.session.scalars(
                select(model)
                .where(getattr(model, self.event_key) == case.id)
                .order_by(model.created_at, model.id)
            )
        )


# --- whom to tell ----------------------------------------------------------------------------


def active_users(condition: Any) -> list[User]:
    """The active users with a role assignment that meets ``condition``, by e-mail address."""
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.active, condition)
            .distinct()
            .order_by(User.email)
        )
    )


def admins_and_author(organisation_id: Any, author_id: Any) -> Any:
    """The condition for an organisation's admins and the staff member who wrote the case
    (if they still belong to the organisation)."""
    condition = (RoleAssignment.role == Role.NGO_ADMIN) & (
        RoleAssignment.organisation_id == organisation_id
    )
    if author_id is None:
        return condition
    return condition | (
        (RoleAssignment.user_id == author_id) & (RoleAssignment.organisation_id == organisation_id)
    )


def people_to_tell(
    sides: Iterable[Side], recipients: Callable[[Side], list[User]], actor: User | None
) -> Iterator[tuple[Side, User]]:
    """Each person of ``sides`` once, with the side they are told as (the first in order),
    leaving out the one who acted."""
    told = set()
    for side in sorted(sides):
        for person in recipients(side):
            if (actor is not None and person.id == actor.id) or person.id in told:
                continue
            told.add(person.id)
            yield side, person
