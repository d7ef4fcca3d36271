"""What a retention rule is, and the small pieces the rules are built from.

Each rule finds, as of a moment ``now``, exactly the rows whose time has come and that still
hold what the rule removes (so a second run finds nothing), and applies itself to them in the
caller's transaction. Where a rule deletes rows, it returns how many per year the rows
belonged to, so the counts survive for statistics (``RetentionTally``); anonymised rows stay
and need no count. Files go from storage only when the transaction commits
(``storage.delete_after_commit``).

The rules themselves: ``retention_people`` (accounts, sessions, links, volunteers) and
``retention_cases`` (organisations, activities, grants, institutions, requests, documents,
the audit log); the table of them and the job: ``retention``.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from portal import db
from portal.models import Document
from portal.services.anonymise import ANONYMOUS_DOMAIN

# Deletions by id go in batches well below any database's limit on bound parameters.
_BATCH = 500


class RetentionAction(enum.StrEnum):
    DELETE = "delete"  # the rows go (their count is kept per year)
    ANONYMISE = "anonymise"  # the row stays for statistics, nothing in it names anyone
    ERASE = "erase"  # the personal columns are emptied, the row stays


ACTION_LABELS = {
    RetentionAction.DELETE: _l("Slettes"),
    RetentionAction.ANONYMISE: _l("Anonymiseres"),
    RetentionAction.ERASE: _l("Personoplysninger ryddes"),
}


@dataclass
class Applied:
    """What applying a rule did: rows deleted per year they belonged to, documents deleted."""

    deleted_by_year: Counter[int] = field(default_factory=Counter)
    documents: int = 0


@dataclass(frozen=True)
class RetentionRule:
    """One retention rule. ``find(now)`` returns the rows (model objects or id rows) that have
    expired as of ``now`` and still need the action; ``apply(rows, now)`` carries it out in the
    caller's transaction."""

    name: str  # a stable key: audit entries and tallies use it
    title: Any  # lazy Danish text
    description: Any  # lazy Danish text: what happens, and when
    action: RetentionAction
    tables: tuple[str, ...]
    find: Callable[[datetime], Sequence[Any]]
    apply: Callable[[Sequence[Any], datetime], Applied]

    @property
    def action_label(self) -> Any:
        return ACTION_LABELS[self.action]


def row_label(row: Any) -> str:
    """How a row is named in reports and the audit log: its id, never its content."""
    return str(row.id)


# --- time ------------------------------------------------------------------------------------


def years_before(moment: datetime, years: int) -> datetime:
    """The same moment ``years`` calendar years earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def day(moment: datetime) -> date:
    return moment.date()


# --- small SQL helpers -----------------------------------------------------------------------


def not_after(column: Any, cutoff: Any) -> ColumnElement[bool]:
    """Empty, or before the cutoff: nothing happened on or after it."""
    return or_(column.is_(None), column < cutoff)


def uncleared(values: dict[InstrumentedAttribute[Any], Any]) -> ColumnElement[bool]:
    """True where any of the columns still holds something other than its cleared value."""
    return or_(
        *(
            column.is_not(None) if cleared is None else column != cleared
            for column, cleared in values.items()
        )
    )


def clear(model: type[Any], where: ColumnElement[bool], values: dict[str, Any]) -> None:
    """Empty columns in bulk; a versioned row's version moves on, so a page opened before
    cannot write the old text back."""
    changes: dict[str, Any] = dict(values)
    version = getattr(model, "version", None)
    if version is not None:
        changes["version"] = version + 1
    db.session.execute(
        update(model).where(where).values(**changes).execution_options(synchronize_session="fetch")
    )


def batches(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def delete_rows(model: type[Any], rows: Sequence[Any], year_of: Callable[[Any], int]) -> Applied:
    """Delete rows (id rows with their date) by id; count them per year."""
    applied = Applied()
    for batch in batches(rows):
        db.session.execute(
            delete(model)
            .where(model.id.in_([row.id for row in batch]))
            .execution_options(synchronize_session="fetch")
        )
        applied.deleted_by_year.update(year_of(row) for row in batch)
    return applied


def not_anonymised(email_column: Any) -> ColumnElement[bool]:
    return ~email_column.endswith("@" + ANONYMOUS_DOMAIN)


def column_values(
    model: type[Any], values: dict[str, Any]
) -> dict[InstrumentedAttribute[Any], Any]:
    """The model's columns named in ``values``, with the cleared value of each."""
    return {getattr(model, name): value for name, value in values.items()}


def count_documents(where: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count()).select_from(Document).where(where)) or 0
