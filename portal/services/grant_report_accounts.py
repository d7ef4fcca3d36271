"""What a grant report holds and needs: its accounts (actual spending against the approved
amount per budget line, with the threshold above which a difference must be explained), the
documents a final report must carry (audited accounts above the round's amount, vouchers when
the grant was sampled), and the checks before it is sent, all listed at once.

Large differences from the approved amounts must be explained in the final report's accounts;
an interim report shows the spending so far, which is naturally below the whole grant, so
there the differences are shown but no explanation is demanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.models import BudgetLine, GrantApplication, GrantReport, ReportKind
from portal.money import kroner

# A line's actual spending needs an explanation when it differs from the approved amount by
# more than this share of it and by more than this amount (both, strictly).
EXPLANATION_SHARE_PERCENT = 10
EXPLANATION_MIN_ORE = 100_000  # 1.000 kr.


def needs_explanation(approved_ore: int, actual_ore: int) -> bool:
    """More than 10 % of the approved amount and more than 1.000 kr. from it (integers only:
    ``difference * 100 > approved * 10``)."""
    difference = abs(actual_ore - approved_ore)
    return (
        difference * 100 > approved_ore * EXPLANATION_SHARE_PERCENT
        and difference > EXPLANATION_MIN_ORE
    )


@dataclass(frozen=True)
class LineFigures:
    line: BudgetLine
    approved_ore: int
    actual_ore: int | None  # None: not filled in
    explanation: str

    @property
    def difference_ore(self) -> int | None:
        return None if self.actual_ore is None else self.actual_ore - self.approved_ore

    @property
    def needs_explanation(self) -> bool:
        return self.actual_ore is not None and needs_explanation(self.approved_ore, self.actual_ore)


@dataclass(frozen=True)
class ReportFigures:
    lines: list[LineFigures]

    @property
    def approved_ore(self) -> int:
        return sum(f.approved_ore for f in self.lines)

    @property
    def actual_ore(self) -> int:
        return sum(f.actual_ore or 0 for f in self.lines)

    @property
    def difference_ore(self) -> int:
        return self.actual_ore - self.approved_ore


def figures(report: GrantReport, application: GrantApplication) -> ReportFigures:
    """Actual against approved per budget line, in the budget's order."""
    by_line = {row.budget_line_id: row for row in report.lines}
    return ReportFigures(
        [
            LineFigures(
                line,
                line.approved_ore or 0,
                by_line[line.id].actual_ore if line.id in by_line else None,
                by_line[line.id].explanation if line.id in by_line else "",
            )
            for line in application.budget_lines
        ]
    )


def audited_accounts_required(report: GrantReport, application: GrantApplication) -> bool:
    return (
        report.kind == ReportKind.FINAL
        and (application.granted_ore or 0) > application.round.audit_threshold_ore
    )


def vouchers_required(report: GrantReport, application: GrantApplication) -> bool:
    return report.kind == ReportKind.FINAL and application.voucher_requested


@dataclass(frozen=True)
class Problem:
    field: str  # the form field it concerns ("" for the whole report)
    message: Any


def problems(report: GrantReport, application: GrantApplication) -> list[Problem]:
    """Everything that stops the report from being sent (empty: it may be)."""
    found: list[Problem] = []
    if not report.narrative.strip():
        found.append(Problem("narrative", _l("Skriv rapportens beretning om projektet.")))
    for n, line in enumerate(figures(report, application).lines):
        name = line.line.text or _l("linje %(num)d", num=n + 1)
        if line.actual_ore is None:
            found.append(
                Problem(
                    f"lines-{n}-actual",
                    _l(
                        "Skriv det faktiske forbrug på \u201d%(line)s\u201d (0, hvis intet er brugt).",
                        line=name,
                    ),
                )
            )
        elif (
            report.kind == ReportKind.FINAL
            and line.needs_explanation
            and not line.explanation.strip()
        ):
            found.append(
                Problem(
                    f"lines-{n}-explanation",
                    _l(
                        "Forklar forskellen på \u201d%(line)s\u201d: %(actual)s brugt mod %(approved)s godkendt.",
                        line=name,
                        actual=kroner(line.actual_ore),
                        approved=kroner(line.approved_ore),
                    ),
                )
            )
    if audited_accounts_required(report, application) and not report.audited_accounts_document_id:
        found.append(
            Problem(
                "audited_accounts",
                _l(
                    "Vedhæft det reviderede regnskab. Det kræves for tilskud over %(threshold)s",
                    threshold=kroner(application.round.audit_threshold_ore),
                ),
            )
        )
    if vouchers_required(report, application) and not report.vouchers_document_id:
        found.append(
            Problem(
                "vouchers",
                _l("Vedhæft bilagene. Tilskuddet er udtaget til bilagskontrol."),
            )
        )
    return found
