"""Pagination of a select() for list pages."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from portal import db

T = TypeVar("T")
PER_PAGE = 25


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def paginate(query: Select[Any], page: int, per_page: int = PER_PAGE) -> Page[Any]:
    total = (
        db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, page, per_page, total)
