"""What the reviewer reads: the application as it was sent (``submitted_copy``), shaped for
the review page and the budget macro of the application pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from portal.models import GrantApplication
from portal.money import units_text
from portal.services.grant_budget import application_totals, values_of


@dataclass(frozen=True)
class SubmittedLine:
    category: str
    text: str
    units: Decimal
    unit_price_ore: int
    own_financing_ore: int
    other_financing_ore: int
    total_ore: int

    @property
    def requested_ore(self) -> int:
        return self.total_ore - self.own_financing_ore - self.other_financing_ore

    @property
    def units_text(self) -> str:
        return units_text(self.units)


@dataclass(frozen=True)
class SubmittedContent:
    """The application as it was sent (``submitted_copy``), ready for the reviewer's page."""

    title: str
    summary: str
    description: str
    target_group: str
    institution_ids: list[str]
    period_start: date | None
    period_end: date | None
    volunteers_expected: int
    lines: list[SubmittedLine]
    totals: dict[str, int]
    # (kind, document id or None, file name)
    attachments: list[tuple[str, uuid.UUID | None, str]]


def _day(text: str | None, fallback: date | None) -> date | None:
    if not text:
        return fallback
    try:
        return date.fromisoformat(text)
    except ValueError:
        return fallback


def _line(line: dict[str, Any]) -> SubmittedLine:
    return SubmittedLine(
        category=str(line.get("category", "")),
        text=str(line.get("text", "")),
        units=Decimal(str(line.get("units", "0"))),
        unit_price_ore=int(line.get("unit_price_ore", 0)),
        own_financing_ore=int(line.get("own_financing_ore", 0)),
        other_financing_ore=int(line.get("other_financing_ore", 0)),
        total_ore=int(line.get("total_ore", 0)),
    )


def _live_lines(application: GrantApplication) -> list[SubmittedLine]:
    found = []
    for line in application.budget_lines:
        values = values_of(line)
        found.append(
            SubmittedLine(
                category=values.category,
                text=values.text,
                units=values.units,
                unit_price_ore=values.unit_price_ore,
                own_financing_ore=values.own_financing_ore,
                other_financing_ore=values.other_financing_ore,
                total_ore=values.total_ore,
            )
        )
    return found


def _document_id(raw: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def submitted_content(application: GrantApplication) -> SubmittedContent:
    """What the organisation sent: the frozen copy (later edits of the organisation's profile
    never show). A copy without some part (older or hand-made data) falls back to the
    application's own fields, which cannot change once it is sent."""
    copy: dict[str, Any] = dict(application.submitted_copy or {})
    if "budget" in copy:
        lines = [_line(line) for line in copy["budget"]]
        totals = copy.get("totals") or {
            "total_cost_ore": sum(line.total_ore for line in lines),
            "own_financing_ore": sum(line.own_financing_ore for line in lines),
            "other_financing_ore": sum(line.other_financing_ore for line in lines),
            "requested_ore": sum(line.requested_ore for line in lines),
        }
    else:
        lines = _live_lines(application)
        live = application_totals(application)
        totals = {
            "total_cost_ore": live.total_cost_ore,
            "own_financing_ore": live.own_financing_ore,
            "other_financing_ore": live.other_financing_ore,
            "requested_ore": live.requested_ore,
        }
    if "attachments" in copy:
        attachments = [
            (
                str(item.get("kind", "")),
                _document_id(item.get("document_id")),
                str(item.get("filename", "")),
            )
            for item in copy["attachments"]
        ]
    else:
        attachments = [(a.kind, a.document_id, "") for a in application.attachments]
    return SubmittedContent(
        title=copy.get("title", application.title),
        summary=copy.get("summary", application.summary),
        description=copy.get("description", application.description),
        target_group=copy.get("target_group", application.target_group),
        institution_ids=list(copy.get("institution_ids", application.institution_ids or ())),
        period_start=_day(copy.get("period_start"), application.period_start),
        period_end=_day(copy.get("period_end"), application.period_end),
        volunteers_expected=int(copy.get("volunteers_expected", application.volunteers_expected)),
        lines=lines,
        totals={key: int(value) for key, value in totals.items()},
        attachments=attachments,
    )
