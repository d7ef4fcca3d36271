"""What saving or submitting an application refuses, and the optimistic lock behind
``ApplicationConflict``: two people editing one application at once must not overwrite each
other, so a save based on an older version is refused instead.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from portal import db

CONFLICT = _l(
    "En anden har gemt ansøgningen, mens du arbejdede på den. Dine ændringer er ikke gemt; de står stadig i formularen. Se den nye udgave, og ret igen."
)


class ApplicationError(Exception):
    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class ApplicationConflict(ApplicationError):
    """Someone else saved the application since this user loaded it."""


def flush() -> None:
    """Flush the application's changes; a version raised meanwhile by someone else (the
    mapper's version counter) rolls back and becomes ``ApplicationConflict``."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ApplicationConflict(CONFLICT) from None
