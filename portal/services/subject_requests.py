"""Data-subject requests (GDPR art. 15-17) as a workflow: which action moves a request from
which state to which, and the two steps that touch the person's data (the access export and
the erasure, made by ``subject_export`` and ``subject_erasure``). Deadlines, lists and the
history are read in ``subject_request_queries``.

``apply`` is the one function that changes a request's state (version check, history row,
audit entry, e-mail to the person); the steps it shares with the grant and onboarding
workflows are in ``transitions``. Only the data protection officer acts; the person makes
the request and follows it on their own page.

Deadlines (art. 12, stk. 3): one calendar month from receipt; the DPO may extend it by up to
two further months, with notice to the person given within the first month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from portal import db, mail
from portal.auth.permissions import can_handle_privacy
from portal.db import utcnow
from portal.models import (
    OPEN_SUBJECT_REQUEST_STATES,
    DataSubjectRequest,
    DataSubjectRequestEvent,
    Document,
    Role,
    RoleAssignment,
    SubjectRequestChannel,
    SubjectRequestKind,
    SubjectRequestState,
    User,
)
from portal.services import anonymise, transitions
from portal.services.recurrence import COPENHAGEN
from portal.services.subject_request_queries import (
    due_date,
    erasure_applied,
    is_open,
    latest_extension,
    subject_user,
    today,
)
from portal.services.transitions import ConflictError, Move, WorkflowError

S = SubjectRequestState
K = SubjectRequestKind

OBJECT_TYPE = "data_subject_request"

CONFLICT = _l(
    "Anmodningen er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
)


class ExportFailed(WorkflowError):
    """The access export could not be made (the message is for the DPO)."""


@dataclass(frozen=True)
class Transition(transitions.Transition):
    # Every action but start has a text: ``missing_text`` says what it is and is said when it
    # is missing.
    tells_person: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    # From "extended" too: an extension given before the identity was checked.
    Transition(
        "check_identity",
        frozenset({S.RECEIVED, S.EXTENDED}),
        S.IDENTITY_CHECKED,
        label=_l("Identiteten er kontrolleret"),
        missing_text=_l("Skriv, hvordan identiteten er kontrolleret."),
    ),
    Transition(
        "start",
        frozenset({S.IDENTITY_CHECKED}),
        S.IN_PROGRESS,
        label=_l("Begynd behandlingen"),
    ),
    Transition(
        "extend",
        frozenset({S.RECEIVED, S.IDENTITY_CHECKED, S.IN_PROGRESS}),
        S.EXTENDED,
        label=_l("Forlæng fristen"),
        missing_text=_l("Skriv, hvorfor fristen forlænges. Personen får begrundelsen."),
        tells_person=True,
    ),
    Transition(
        "answer",
        frozenset({S.IDENTITY_CHECKED, S.IN_PROGRESS, S.EXTENDED}),
        S.ANSWERED,
        label=_l("Besvar anmodningen"),
        missing_text=_l("Skriv svaret til personen."),
        tells_person=True,
    ),
    Transition(
        "refuse",
        frozenset(OPEN_SUBJECT_REQUEST_STATES),
        S.REFUSED,
        label=_l("Afvis anmodningen"),
        missing_text=_l("Skriv begrundelsen for afvisningen. Personen får den."),
        tells_person=True,
    ),
)

# --- what may be done now ----------------------------------------------------------------------


def blocked(request: DataSubjectRequest, transition: Transition, on: date | None = None) -> Any:
    """Why ``transition`` cannot be taken now, whoever asks (None: it can)."""
    return WORKFLOW.blocked(request, transition, on=on)


def options(request: DataSubjectRequest, on: date | None = None) -> dict[str, Any]:
    """The actions that belong to the request's state, each with why it is blocked (None:
    it can be taken now)."""
    return {
        t.action: blocked(request, t, on)
        for t in TRANSITIONS
        if request.state in t.from_states
        and not (t.action == "check_identity" and request.identity_checked_at is not None)
    }


def can_make_export(request: DataSubjectRequest) -> Any:
    """Why the access export cannot be made now (None: it can)."""
    if request.kind != K.ACCESS:
        return _l("Kun en anmodning om indsigt får et udtræk.")
    return _data_step_blocked(request)


def can_erase(request: DataSubjectRequest) -> Any:
    """Why the erasure cannot be applied now (None: it can)."""
    if request.kind != K.ERASURE:
        return _l("Kun en anmodning om sletning kan slette.")
    if erasure_applied(request):
        return _l("Sletningen er allerede gennemført.")
    return _data_step_blocked(request)


def _data_step_blocked(request: DataSubjectRequest) -> Any:
    if not is_open(request):
        return _l("Anmodningen er lukket.")
    if request.identity_checked_at is None:
        return _l("Kontrollér personens identitet først.")
    if request.subject_user_id is None:
        return _l(
            "Anmodningen er ikke knyttet til en konto i portalen. Knyt den til personens konto først."
        )
    return None


# --- changes ---------------------------------------------------------------------------------


class SubjectRequestWorkflow(transitions.Workflow[DataSubjectRequest]):
    """Only the DPO acts, and the person is the one told."""

    transitions = TRANSITIONS
    event_model = DataSubjectRequestEvent
    event_key = "request_id"
    object_type = OBJECT_TYPE
    audit_prefix = "privacy.request_"
    audit_actor = True
    conflict = CONFLICT

    def wrong_state(self, case: DataSubjectRequest) -> Any:
        from portal.labels import label

        return _l(
            "Det kan ikke lade sig gøre, når anmodningen har status \u201d%(state)s\u201d.",
            state=label(case.state),
        )

    def blocked(
        self,
        case: DataSubjectRequest,
        transition: Transition,
        *,
        on: date | None = None,
        **options: Any,
    ) -> Any:
        reason = super().blocked(case, transition)
        if reason is not None:
            return reason
        action = transition.action
        if action == "check_identity" and case.identity_checked_at is not None:
            return _l("Identiteten er allerede kontrolleret.")
        if action == "extend" and (on or today()) > case.original_due_on:
            return _l(
                "Fristen kan kun forlænges inden for den første måned, dvs. til og med %(date)s. Personen skal have besked inden da.",
                date=case.original_due_on.strftime("%d.%m.%Y"),
            )
        if action == "answer":
            if case.identity_checked_at is None:
                return _l("Kontrollér personens identitet, før du svarer.")
            if case.subject_user_id is not None:
                if case.kind == K.ACCESS and case.export_document_id is None:
                    return _l("Lav udtrækket af personens oplysninger, før du svarer.")
                if case.kind == K.ERASURE and not erasure_applied(case):
                    return _l("Slet det, der må slettes, før du svarer.")
        return None

    def gate(self, actor: User, case: DataSubjectRequest) -> None:
        if not can_handle_privacy(actor):
            raise WorkflowError(_l("Kun databeskyttelsesrådgiveren behandler anmodningerne."))

    def change(self, move: Move[DataSubjectRequest]) -> None:
        request, action, actor, text = move.case, move.action, move.actor, move.text
        now = utcnow()
        if action == "check_identity":
            link_email = move.options.get("link_email", "")
            if link_email.strip():
                if request.subject_user_id is not None:
                    raise WorkflowError(_l("Anmodningen er allerede knyttet til en konto."))
                move.details["user_id"] = str(_link(request, link_email, actor).id)
            request.identity_checked_at = now
            request.identity_checked_by_id = actor.id
            request.identity_note = text
            if move.from_state == S.EXTENDED:
                move.to_state = S.EXTENDED  # the extended deadline still holds
        elif action == "extend":
            due_on = move.options.get("due_on")
            _check_extension(request, due_on)
            assert due_on is not None
            move.details["due_on"] = due_on.isoformat()
            request.due_on = due_on
            request.extension_reason = text
            request.extension_notified_at = now
        elif action == "answer":
            request.answered_at = now
            request.answer_text = text
        elif action == "refuse":
            # answered_at is when the request was closed, answered or refused.
            request.answered_at = now
            request.refusal_reason = text

    def tell(self, move: Move[DataSubjectRequest]) -> None:
        if move.transition.tells_person:
            _send_to_person(move.case, move.action)

    def attach(self, case: DataSubjectRequest, event: DataSubjectRequestEvent) -> None:
        # Through the relationship: a new request has no id until it is flushed. The time is
        # set now so that rows flushed together keep their order.
        event.created_at = utcnow()
        case.events.append(event)

    def audit(
        self,
        case: DataSubjectRequest,
        action: str,
        actor: User,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().audit(
            case,
            action,
            actor,
            {"kind": case.kind.value, "version": case.version, **(details or {})},
        )


WORKFLOW = SubjectRequestWorkflow()
BY_ACTION = WORKFLOW.by_action


def _check_dpo(actor: User, request: DataSubjectRequest, expected_version: int | None) -> None:
    WORKFLOW.gate(actor, request)
    WORKFLOW.check_version(request, expected_version)


def create_request(
    kind: SubjectRequestKind,
    description: str,
    *,
    user: User | None = None,
    name: str = "",
    email: str = "",
    channel: SubjectRequestChannel = SubjectRequestChannel.PORTAL,
    actor: User,
    received_on: date | None = None,
    now: datetime | None = None,
) -> DataSubjectRequest:
    """A new request: the person's own from their page (``user`` is the actor), or a letter
    or e-mail the DPO registers (``received_on`` may be earlier: the deadline counts from it).
    The person gets a receipt with the deadline, the DPO(s) a notice."""
    now = now or utcnow()
    day = today(now)
    received_on = received_on or day
    description = description.strip()
    if channel == SubjectRequestChannel.PORTAL:
        if user is None or user.id != actor.id:
            raise WorkflowError(_l("En anmodning i portalen er personens egen."))
    elif not can_handle_privacy(actor):
        raise WorkflowError(_l("Kun databeskyttelsesrådgiveren registrerer breve og e-mails."))
    if received_on > day:
        raise WorkflowError(_l("Datoen for modtagelsen kan ikke ligge i fremtiden."))
    if kind == K.RECTIFICATION and not description:
        raise WorkflowError(_l("Skriv, hvad der er forkert, og hvad det skal rettes til."))
    if user is not None:
        name, email = name or user.name, email or user.email
        if kind != K.RECTIFICATION and _has_open(user, kind):
            raise WorkflowError(
                _l("Der er allerede en åben anmodning af samme slags. Du kan følge den herunder.")
            )
    due = due_date(received_on)
    request = DataSubjectRequest(
        kind=kind,
        state=S.RECEIVED,
        channel=channel,
        subject_user_id=user.id if user else None,
        subject_name=name.strip(),
        subject_email=email.strip(),
        description=description,
        # A letter received on an earlier day counts from the start of that day.
        received_at=now
        if received_on == day
        else datetime.combine(received_on, time(), tzinfo=COPENHAGEN).astimezone(UTC),
        due_on=due,
        original_due_on=due,
        created_by_id=actor.id,
    )
    db.session.add(request)
    WORKFLOW.record_event(request, "create", actor, to_state=S.RECEIVED.value)
    db.session.flush()
    WORKFLOW.audit(
        request,
        "create",
        actor,
        {
            "channel": channel.value,
            "received_on": received_on.isoformat(),
            "due_on": due.isoformat(),
            "linked": user is not None,
        },
    )
    _send_to_person(request, "receipt")
    _tell_dpos(request, actor)
    return request


def _has_open(user: User, kind: SubjectRequestKind) -> bool:
    return (
        db.session.scalar(
            select(DataSubjectRequest.id)
            .where(
                DataSubjectRequest.subject_user_id == user.id,
                DataSubjectRequest.kind == kind,
                DataSubjectRequest.state.in_(OPEN_SUBJECT_REQUEST_STATES),
            )
            .limit(1)
        )
        is not None
    )


def _account_by_email(email: str) -> User:
    from portal.services.accounts import find_user_by_email

    user = find_user_by_email(email)
    if user is None or anonymise.is_anonymised_user(user):
        raise WorkflowError(_l("Der er ingen konto i portalen med den e-mailadresse."))
    return user


def link_account(
    request: DataSubjectRequest,
    email: str,
    actor: User,
    *,
    expected_version: int | None = None,
) -> User:
    """Tie a letter or e-mail to the person's account (after the identity is checked), so the
    export and the erasure can find their data."""
    _check_dpo(actor, request, expected_version)
    if not is_open(request):
        raise WorkflowError(_l("Anmodningen er lukket."))
    if request.subject_user_id is not None:
        raise WorkflowError(_l("Anmodningen er allerede knyttet til en konto."))
    user = _link(request, email, actor)
    WORKFLOW.flush()
    WORKFLOW.audit(request, "link_account", actor, {"user_id": str(user.id)})
    return user


def _link(request: DataSubjectRequest, email: str, actor: User) -> User:
    user = _account_by_email(email)
    request.subject_user_id = user.id
    WORKFLOW.record_event(request, "link_account", actor, text=user.email)
    return user


def apply(
    request: DataSubjectRequest,
    action: str,
    actor: User,
    *,
    text: str = "",
    expected_version: int | None = None,
    due_on: date | None = None,
    link_email: str = "",
    on: date | None = None,
) -> Transition:
    """Take ``action``: check it is allowed now, change the state and what belongs to it, write
    the history and the audit entry, and tell the person where the action says so.

    ``due_on`` is the new deadline of an extension; ``link_email`` ties the request to an
    account while the identity is checked."""
    return WORKFLOW.apply(
        request,
        action,
        actor,
        text=text,
        expected_version=expected_version,
        options={"on": on or today(), "due_on": due_on, "link_email": link_email},
    )


def _check_extension(request: DataSubjectRequest, due_on: date | None) -> None:
    latest = latest_extension(request)
    if due_on is None:
        raise WorkflowError(_l("Skriv den nye frist."))
    if due_on <= request.original_due_on:
        raise WorkflowError(
            _l(
                "Den nye frist skal ligge efter den oprindelige frist, %(date)s.",
                date=request.original_due_on.strftime("%d.%m.%Y"),
            )
        )
    if due_on > latest:
        raise WorkflowError(
            _l(
                "Fristen kan højst forlænges med to måneder, dvs. til og med %(date)s.",
                date=latest.strftime("%d.%m.%Y"),
            )
        )


def make_export(
    request: DataSubjectRequest, actor: User, *, expected_version: int | None = None
) -> Document:
    """The access export: a ZIP kept as the person's own document (``subject_export`` makes
    it, replaces an earlier one and audits it); here it becomes a step of the request."""
    from portal.services import subject_export

    _check_dpo(actor, request, expected_version)
    reason = can_make_export(request)
    if reason is not None:
        raise WorkflowError(reason)
    try:
        document = subject_export.store_export(request, actor)
    except subject_export.ExportError as error:
        raise ExportFailed(
            _l("Udtrækket kunne ikke laves: %(reason)s", reason=str(error.message))
        ) from None
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(CONFLICT) from None
    request.export_document_id = document.id
    WORKFLOW.record_event(request, "export", actor)
    flag_modified(request, "export_document_id")  # a new version even if nothing else changed
    WORKFLOW.flush()
    WORKFLOW.audit(request, "export", actor, {"document_id": str(document.id)})
    return document


def erasure_plan(request: DataSubjectRequest) -> Any:
    """What an erasure would erase and keep (with reasons), or None when it cannot be applied."""
    from portal.services import subject_erasure

    user = subject_user(request)
    if request.kind != K.ERASURE or user is None or erasure_applied(request):
        return None
    return subject_erasure.plan(user)


def apply_erasure(
    request: DataSubjectRequest, actor: User, *, expected_version: int | None = None
) -> Any:
    """Erase or anonymise what the law lets go; the history lists what went and what was kept
    and why. Returns the plan as carried out."""
    from portal.services import subject_erasure

    _check_dpo(actor, request, expected_version)
    reason = can_erase(request)
    if reason is not None:
        raise WorkflowError(reason)
    user = subject_user(request)
    assert user is not None
    done = subject_erasure.apply(user, actor)
    WORKFLOW.record_event(request, "erase", actor, text=erasure_summary(done))
    flag_modified(request, "state")  # a new version: the page's erase form is now stale
    WORKFLOW.flush()
    WORKFLOW.audit(
        request,
        "erase",
        actor,
        {
            "erased": sum(item.count for item in done.erased),
            "kept": sum(item.count for item in done.kept),
        },
    )
    return done


def erasure_summary(plan: Any) -> str:
    """The plan as lines of text for the history (in Danish, the record's language)."""
    with force_locale("da"):
        lines = [
            _("Slettet: %(what)s (%(count)d)", what=item.what, count=item.count)
            for item in plan.erased
        ]
        lines += [
            _(
                "Beholdt: %(what)s (%(count)d). Begrundelse: %(reason)s",
                what=item.what,
                count=item.count,
                reason=item.reason,
            )
            for item in plan.kept
        ]
    return "\n".join(lines)


# --- e-mail ----------------------------------------------------------------------------------


def _person(request: DataSubjectRequest) -> tuple[str, str, str, bool]:
    """Where to write to the person: address, language, name, and whether they can log in
    to follow the request (not once their account is erased)."""
    user = subject_user(request)
    if user is not None and not anonymise.is_anonymised_user(user):
        return user.email, user.language, user.name, True
    return request.subject_email, user.language if user else "da", request.subject_name, False


def _send_to_person(request: DataSubjectRequest, action: str) -> None:
    address, language, name, can_log_in = _person(request)
    if not address:
        return  # a letter without an e-mail address: the DPO answers by letter
    mail.send_template(
        address,
        "subject_request_receipt" if action == "receipt" else "subject_request_update",
        language=language,
        name=name,
        action=action,
        kind=request.kind,
        received_at=request.received_at,
        due_on=request.due_on,
        text={
            "extend": request.extension_reason,
            "answer": request.answer_text,
            "refuse": request.refusal_reason,
        }.get(action, ""),
        has_export=request.export_document_id is not None,
        link=mail.external_url("privacy.my_request", request_id=request.id) if can_log_in else None,
    )


def dpos() -> list[User]:
    return transitions.active_users(RoleAssignment.role == Role.DPO)


def _tell_dpos(request: DataSubjectRequest, actor: User) -> None:
    for person in dpos():
        if person.id == actor.id and request.channel != SubjectRequestChannel.PORTAL:
            continue  # the DPO who registered the letter knows
        mail.send_template(
            person.email,
            "subject_request_new",
            language=person.language,
            name=person.name,
            kind=request.kind,
            channel=request.channel,
            subject_name=request.subject_name,
            due_on=request.due_on,
            link=mail.external_url("privacy.request", request_id=request.id),
        )
