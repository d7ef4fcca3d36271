"""An application's budget as plain values: each line's total and what it asks from the pool,
the budget's totals (øre exact), and which lines the database would refuse.

Nothing here queries or flushes: ``grant_applications.save`` checks and writes the lines
with ``refusal`` and ``replace_lines`` as part of saving the draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.models import BudgetCategory, BudgetLine, GrantApplication
from portal.money import MAX_ORE, line_total, units_text

MAX_BUDGET_LINES = 60
MAX_UNITS = Decimal("9999999999.99")  # what Numeric(12, 2) holds
CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineValues:
    """One budget line as plain values (øre and Decimal units)."""

    category: str
    text: str
    units: Decimal
    unit_price_ore: int
    own_financing_ore: int = 0
    other_financing_ore: int = 0

    @property
    def total_ore(self) -> int:
        return line_total(self.units, self.unit_price_ore)

    @property
    def units_text(self) -> str:
        return units_text(self.units)

    @property
    def requested_ore(self) -> int:
        """What the line asks from the pool (negative when co-financing exceeds the cost)."""
        return self.total_ore - self.own_financing_ore - self.other_financing_ore


@dataclass(frozen=True)
class Totals:
    total_cost_ore: int
    own_financing_ore: int
    other_financing_ore: int
    requested_ore: int
    by_category: dict[str, int]


def values_of(line: BudgetLine) -> LineValues:
    """A stored budget line as plain values."""
    return LineValues(
        line.category.value,
        line.text,
        Decimal(line.units),
        line.unit_price_ore,
        line.own_financing_ore,
        line.other_financing_ore,
    )


def totals(lines: Sequence[LineValues]) -> Totals:
    """The budget's totals, øre exact (each line rounded once, then integers summed)."""
    by_category: dict[str, int] = {}
    for line in lines:
        by_category[line.category] = by_category.get(line.category, 0) + line.total_ore
    return Totals(
        total_cost_ore=sum(line.total_ore for line in lines),
        own_financing_ore=sum(line.own_financing_ore for line in lines),
        other_financing_ore=sum(line.other_financing_ore for line in lines),
        requested_ore=sum(line.requested_ore for line in lines),
        by_category=by_category,
    )


def application_totals(application: GrantApplication) -> Totals:
    """The totals of the application's stored budget."""
    return totals([values_of(line) for line in application.budget_lines])


def refusal(lines: Sequence[LineValues]) -> Any | None:
    """Why the database would refuse these lines (or store them differently), as a message
    for the budget; None when it would take them. What is merely missing (a line without a
    text, co-financing above the cost) is for the checks before submitting."""
    if len(lines) > MAX_BUDGET_LINES:
        return _l("Budgettet kan højst have %(max)d linjer.", max=MAX_BUDGET_LINES)
    categories = {c.value for c in BudgetCategory}
    for n, line in enumerate(lines, start=1):
        if line.category not in categories:
            return _l("Vælg en kategori til budgetlinje %(n)d.", n=n)
        if len(line.text.strip()) > 300:
            return _l("Teksten i budgetlinje %(n)d kan højst være 300 tegn.", n=n)
        units = Decimal(line.units)
        if not units.is_finite() or units < 0 or units > MAX_UNITS or units != units.quantize(CENT):
            return _l("Antallet i budgetlinje %(n)d skal være et tal med højst to decimaler.", n=n)
        amounts = (line.unit_price_ore, line.own_financing_ore, line.other_financing_ore)
        if any(not 0 <= amount <= MAX_ORE for amount in amounts):
            return _l("Beløbene i budgetlinje %(n)d skal være mellem 0 og 1 mia. kr.", n=n)
    return None


def replace_lines(application: GrantApplication, lines: Sequence[LineValues]) -> None:
    """The budget becomes ``lines``: the existing rows are updated in place by position and
    the extra ones added or removed, so no two rows ever share a position in one flush
    (inserting new rows before the old ones are deleted would break the unique position)."""
    existing = list(application.budget_lines)
    for n, values in enumerate(lines, start=1):
        row = existing[n - 1] if n <= len(existing) else BudgetLine(position=n)
        row.category = BudgetCategory(values.category)
        row.text = values.text.strip()
        row.units = Decimal(values.units).quantize(CENT)
        row.unit_price_ore = values.unit_price_ore
        row.own_financing_ore = values.own_financing_ore
        row.other_financing_ore = values.other_financing_ore
        if n > len(existing):
            application.budget_lines.append(row)
    for row in existing[len(lines) :]:
        application.budget_lines.remove(row)
