"""The DPO's search of the audit log: who did what to which object, and when.

A filter names a person (a search text matching accounts, volunteers and requests), an object
(type and id), an action (exact, or every action of one area with ``area.*``) and a period of
Danish calendar days. ``search`` turns it into one ``select()`` of entries, newest first.

"The person" is everyone the search text matches, with their linked rows: an account and the
volunteer records it signed as are one person. An entry is theirs when they did it (the actor)
or when it is about one of their rows (their account, volunteer record, access grants,
signatures, identities, invitations, own documents and data-subject requests).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, and_, distinct, false, func, or_, select

from portal import db
from portal.models import (
    AccessGrant,
    AccountToken,
    AuditEntry,
    DataSubjectRequest,
    Document,
    ExternalIdentity,
    OwnerType,
    Signature,
    User,
    Volunteer,
)
from portal.services.audit_labels import action_label, area_label, object_type_label

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# A search text matching more people than this is too vague to be one person's log.
MAX_PERSONS = 50
PREFIX_SUFFIX = ".*"

# --- the filter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the DPO searches for; empty fields do not filter."""

    person: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""  # exact ("volunteer.cpr_revealed") or a whole area ("volunteer.*")
    date_from: date | None = None  # Danish calendar days, both included
    date_to: date | None = None

    def as_details(self) -> dict[str, str]:
        """The filter as the export's audit entry records it (only what was set)."""
        values = {
            "person": self.person,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "action": self.action,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}


def day_start(day: date) -> datetime:
    """The UTC instant a Copenhagen calendar day begins (midnight is never a skipped hour)."""
    return datetime.combine(day, time(0), tzinfo=COPENHAGEN).astimezone(UTC)


def period_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, ...]:
    """The half-open UTC interval [start, end) covering the Danish days from..to."""
    start = day_start(date_from) if date_from else None
    end = day_start(date_to + timedelta(days=1)) if date_to else None
    return start, end


# --- the person ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    kind: str  # "user" | "volunteer" | "request" (a data-subject request by letter)
    id: uuid.UUID
    name: str
    email: str


@dataclass
class PersonMatch:
    """Everyone a search text matches, and the ids of the rows that are theirs."""

    text: str
    people: list[PersonRow] = field(default_factory=list)
    too_many: bool = False
    user_ids: set[uuid.UUID] = field(default_factory=set)
    volunteer_ids: set[uuid.UUID] = field(default_factory=set)
    request_ids: set[uuid.UUID] = field(default_factory=set)
    objects: dict[str, set[str]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.people)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _ids(query: Select[Any]) -> set[uuid.UUID]:
    return set(db.session.scalars(query))


def _matching(columns: tuple[Any, ...], name: Any, email: Any, pattern: str) -> list[Any]:
    """Up to MAX_PERSONS + 1 rows whose name or e-mail contains the pattern."""
    return list(
        db.session.execute(
            select(*columns)
            .where(
                or_(
                    func.lower(email).like(pattern, escape="\\"),
                    func.lower(name).like(pattern, escape="\\"),
                )
            )
            .order_by(name, email)
            .limit(MAX_PERSONS + 1)
        )
    )


def find_person(text: str) -> PersonMatch:
    """The accounts, volunteer records and data-subject requests whose name or e-mail
    contains ``text``, with the rows linked to them (a volunteer's or a request's account,
    an account's volunteer records)."""
    text = text.strip()
    match = PersonMatch(text)
    if not text:
        return match
    pattern = _like(text)
    users = _matching((User.id, User.name, User.email), User.name, User.email, pattern)
    volunteers = _matching(
        (Volunteer.id, Volunteer.name, Volunteer.email, Volunteer.user_id),
        Volunteer.name,
        Volunteer.email,
        pattern,
    )
    # A request received by letter names someone who may have no account (yet).
    request = DataSubjectRequest
    requests = _matching(
        (request.id, request.subject_name, request.subject_email, request.subject_user_id),
        request.subject_name,
        request.subject_email,
        pattern,
    )
    match.too_many = any(len(rows) > MAX_PERSONS for rows in (users, volunteers, requests))
    users, volunteers, requests = (
        users[:MAX_PERSONS],
        volunteers[:MAX_PERSONS],
        requests[:MAX_PERSONS],
    )
    match.people = (
        [PersonRow("user", u.id, u.name, u.email) for u in users]
        + [PersonRow("volunteer", v.id, v.name, v.email) for v in volunteers]
        + [
            PersonRow("request", r.id, r.subject_name, r.subject_email)
            for r in requests
            if r.subject_user_id is None
        ]
    )
    match.user_ids = (
        {u.id for u in users}
        | {v.user_id for v in volunteers if v.user_id}
        | {r.subject_user_id for r in requests if r.subject_user_id}
    )
    match.volunteer_ids = {v.id for v in volunteers}
    match.request_ids = {r.id for r in requests}
    if match.user_ids:
        match.volunteer_ids |= _ids(
            select(Volunteer.id).where(Volunteer.user_id.in_(match.user_ids))
        )
    match.objects = _their_objects(match.user_ids, match.volunteer_ids)
    if match.request_ids:
        match.objects.setdefault("data_subject_request", set()).update(
            str(i) for i in match.request_ids
        )
    return match


def _their_objects(user_ids: set[uuid.UUID], volunteer_ids: set[uuid.UUID]) -> dict[str, set[str]]:
    """The audit log's (object_type, object_id) pairs that are about these people's rows."""
    objects: dict[str, set[uuid.UUID]] = {
        # Services write "user"; the permission checks write the table's name.
        "user": set(user_ids),
        "user_account": set(user_ids),
        "volunteer": set(volunteer_ids),
    }
    if volunteer_ids:
        objects["access_grant"] = _ids(
            select(AccessGrant.id).where(AccessGrant.volunteer_id.in_(volunteer_ids))
        )
        objects["signature"] = _ids(
            select(Signature.id).where(Signature.volunteer_id.in_(volunteer_ids))
        )
    if user_ids:
        objects["external_identity"] = _ids(
            select(ExternalIdentity.id).where(ExternalIdentity.user_id.in_(user_ids))
        )
        objects["account_token"] = _ids(
            select(AccountToken.id).where(AccountToken.user_id.in_(user_ids))
        )
        objects["document"] = _ids(
            select(Document.id).where(
                Document.owner_type == OwnerType.USER, Document.owner_id.in_(user_ids)
            )
        )
        objects["data_subject_request"] = _ids(
            select(DataSubjectRequest.id).where(DataSubjectRequest.subject_user_id.in_(user_ids))
        )
    return {kind: {str(i) for i in ids} for kind, ids in objects.items() if ids}


def _person_clause(match: PersonMatch) -> Any:
    clauses = [AuditEntry.actor_id.in_([str(i) for i in match.user_ids])] if match.user_ids else []
    # The log keeps the address someone acted under, also after their account is anonymised:
    # a whole address finds those entries even when no account has it any more.
    if "@" in match.text:
        clauses.append(func.lower(AuditEntry.actor_label) == match.text.lower())
    clauses += [
        and_(AuditEntry.object_type == kind, AuditEntry.object_id.in_(sorted(ids)))
        for kind, ids in match.objects.items()
    ]
    return or_(*clauses) if clauses else false()


# --- the search ------------------------------------------------------------------------------


def search(audit_filter: AuditFilter, person: PersonMatch | None = None) -> Select[Any]:
    """The entries that match every part of the filter, newest first.

    ``person`` is ``find_person(audit_filter.person)`` when the caller has it already.
    """
    query = select(AuditEntry)
    if audit_filter.person.strip():
        person = person if person is not None else find_person(audit_filter.person)
        query = query.where(_person_clause(person))
    if audit_filter.object_type:
        query = query.where(AuditEntry.object_type == audit_filter.object_type)
    if audit_filter.object_id:
        query = query.where(AuditEntry.object_id == audit_filter.object_id.strip())
    if audit_filter.action.endswith(PREFIX_SUFFIX):
        area = audit_filter.action.removesuffix(PREFIX_SUFFIX)
        query = query.where(AuditEntry.action.startswith(area + ".", autoescape=True))
    elif audit_filter.action:
        query = query.where(AuditEntry.action == audit_filter.action)
    start, end = period_bounds(audit_filter.date_from, audit_filter.date_to)
    if start is not None:
        query = query.where(AuditEntry.occurred_at >= start)
    if end is not None:
        query = query.where(AuditEntry.occurred_at < end)
    return query.order_by(AuditEntry.id.desc())


def count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# --- the form's choices ----------------------------------------------------------------------


def logged_actions() -> list[str]:
    """Every action the log holds, in order."""
    return list(db.session.scalars(select(distinct(AuditEntry.action)).order_by(AuditEntry.action)))


def logged_object_types() -> list[str]:
    """Every object type the log holds, in order (entries without an object left out)."""
    return list(
        db.session.scalars(
            select(distinct(AuditEntry.object_type))
            .where(AuditEntry.object_type != "")
            .order_by(AuditEntry.object_type)
        )
    )


def action_choices(actions: Iterable[str]) -> list[tuple[str, str]]:
    """Each area's "all of ..." first, then every single action, by its label."""
    actions = list(actions)
    areas = sorted({a.partition(".")[0] for a in actions if "." in a}, key=area_label)
    whole = [(area + PREFIX_SUFFIX, _("Alt om: %(area)s", area=area_label(area))) for area in areas]
    single = sorted(((a, f"{action_label(a)} ({a})") for a in actions), key=lambda c: c[1])
    return whole + single


def object_type_choices(object_types: Iterable[str]) -> list[tuple[str, str]]:
    return sorted(((t, object_type_label(t)) for t in object_types), key=lambda c: c[1])


# --- how an entry reads ----------------------------------------------------------------------


def actor_names(entries: Iterable[AuditEntry]) -> dict[str, str]:
    """The current name of each actor account among ``entries`` (by the logged actor id)."""
    wanted = set()
    for entry in entries:
        if not entry.actor_id:
            continue
        try:
            wanted.add(uuid.UUID(entry.actor_id))
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {str(user_id): name for user_id, name in rows.tuples()}


def actor_text(entry: AuditEntry, names: dict[str, str]) -> str:
    """Who did it: the account's name and the address they acted under, the portal itself
    (a job), or someone not logged in."""
    if entry.actor_label == "system" and not entry.actor_id:
        return _("Portalen (automatisk)")
    if entry.actor_label == "anonymous" and not entry.actor_id:
        return _("Ikke logget ind")
    name = names.get(entry.actor_id or "")
    if name and name != entry.actor_label:
        return f"{name} ({entry.actor_label})"
    return entry.actor_label


def local_time(instant: datetime) -> str:
    """The entry's time on the Copenhagen clock, to the second."""
    return instant.astimezone(COPENHAGEN).strftime("%d.%m.%Y %H:%M:%S")
