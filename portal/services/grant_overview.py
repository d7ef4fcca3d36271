"""The figures of a round for the grant officers: its sent applications in the order they are
worked through, the pool with what is granted and what remains, the distribution of the
granted money by area office and by kind of project, applications by state and decision, and
the CSV export of applications and decisions.

What counts as granted is the pool's own rule (``grant_decisions.granted_ore``): a grant or
partial grant that is decided, accepted or closed; a declined grant counts nothing. The
distribution therefore adds up to exactly the granted figure at the top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal import audit, db
from portal.labels import label
from portal.models import (
    GRANTING,
    ApplicationState,
    AreaOffice,
    GrantApplication,
    GrantDecision,
    GrantRound,
    ProjectKind,
    User,
)
from portal.services import grant_decisions
from portal.services.grant_review_scores import score_summary, weighted_means
from portal.services.grant_rounds import local

NEVER = datetime.max.replace(tzinfo=UTC)

# The order of the list: what waits for the officer first, then the decided ones.
STATE_ORDER = {
    state: position
    for position, state in enumerate(
        (
            ApplicationState.SUBMITTED,
            ApplicationState.IN_REVIEW,
            ApplicationState.DECIDED,
            ApplicationState.ACCEPTED,
            ApplicationState.DECLINED,
            ApplicationState.CLOSED,
            ApplicationState.INELIGIBLE,
        )
    )
}


def counts_against_pool(application: GrantApplication) -> bool:
    return application.state in grant_decisions.COUNTING_STATES and application.decision in GRANTING


def counted_grant(application: GrantApplication) -> int:
    """What the application takes from the pool now."""
    return (application.granted_ore or 0) if counts_against_pool(application) else 0


def sent_applications(
    grant_round: GrantRound, state: ApplicationState | None = None
) -> list[GrantApplication]:
    """The round's sent applications (never drafts), by state in working order, the oldest
    first within a state."""
    query = select(GrantApplication).where(
        GrantApplication.round_id == grant_round.id,
        GrantApplication.state != ApplicationState.DRAFT,
    )
    if state is not None:
        query = query.where(GrantApplication.state == state)
    found = list(db.session.scalars(query))
    return sorted(
        found,
        key=lambda a: (
            STATE_ORDER.get(a.state, len(STATE_ORDER)),
            a.submitted_at or NEVER,
            a.title,
        ),
    )


# --- the mean score (from the reviews) ------------------------------------------------------


def mean_scores(applications: Sequence[GrantApplication]) -> dict[Any, Decimal | None]:
    """Each application's weighted mean score (0-100), or None while it has no scores."""
    return weighted_means(applications)


def score_of(application: GrantApplication) -> Any:
    """The reviews' summary of one application (``weighted_mean``, ``spread``, ``reviews``)."""
    return score_summary(application)


# --- the round's figures --------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """One group of the distribution (an area office or a kind of project)."""

    key: str
    label: str
    applications: int  # sent applications in the group
    grants: int  # of which with a grant that counts against the pool
    granted_ore: int


@dataclass(frozen=True)
class RoundFigures:
    pool_ore: int
    granted_ore: int
    remaining_ore: int
    sent: int
    undecided: int
    by_area: list[Share]
    by_kind: list[Share]
    by_state: list[tuple[ApplicationState, int]]
    by_decision: list[tuple[GrantDecision, int]]

    @property
    def largest_share_ore(self) -> int:
        """The largest granted amount of any group (the charts' full bar)."""
        return max((s.granted_ore for s in (*self.by_area, *self.by_kind)), default=0)


def _shares(
    applications: Sequence[GrantApplication],
    key: Callable[[GrantApplication], tuple[str, str]],
    known: Sequence[tuple[str, str]] = (),
) -> list[Share]:
    """Groups in the order of ``known`` (shown even when empty), then any others by name."""
    groups: dict[str, list[GrantApplication]] = {k: [] for k, _name in known}
    names = dict(known)
    for application in applications:
        group, name = key(application)
        groups.setdefault(group, []).append(application)
        names.setdefault(group, name)
    ordered = [k for k, _name in known] + sorted(
        (k for k in groups if k not in dict(known)), key=lambda k: names[k]
    )
    return [
        Share(
            key=k,
            label=names[k],
            applications=len(groups[k]),
            grants=sum(1 for a in groups[k] if counts_against_pool(a)),
            granted_ore=sum(counted_grant(a) for a in groups[k]),
        )
        for k in ordered
    ]


def _area_offices() -> list[tuple[str, str]]:
    offices = db.session.scalars(select(AreaOffice).order_by(AreaOffice.name))
    return [(str(o.id), o.name) for o in offices]


def figures(grant_round: GrantRound) -> RoundFigures:
    """Pool, granted and remaining, and how the sent applications and the granted money are
    spread by area office, kind of project, state and decision."""
    applications = sent_applications(grant_round)
    granted = grant_decisions.granted_ore(grant_round)
    by_state = [(state, sum(1 for a in applications if a.state == state)) for state in STATE_ORDER]
    by_decision = [
        (decision, sum(1 for a in applications if a.decision == decision))
        for decision in GrantDecision
    ]
    return RoundFigures(
        pool_ore=grant_round.pool_ore,
        granted_ore=granted,
        remaining_ore=grant_round.pool_ore - granted,
        sent=len(applications),
        undecided=sum(1 for a in applications if a.state in grant_decisions.UNDECIDED_STATES),
        by_area=_shares(
            applications,
            lambda a: (str(a.organisation.area_office_id), a.organisation.area_office.name),
            _area_offices(),
        ),
        by_kind=_shares(
            applications,
            lambda a: (a.project_kind.value, label(a.project_kind)),
            [(kind.value, label(kind)) for kind in ProjectKind],
        ),
        by_state=by_state,
        by_decision=by_decision,
    )


def bar_width(value: int, largest: int, full: int) -> int:
    """A bar's length in whole units of ``full`` (integer arithmetic, half up)."""
    if largest <= 0 or value <= 0:
        return 0
    return max(1, (value * full * 2 + largest) // (largest * 2))


# --- the CSV export -------------------------------------------------------------------------


def csv_kroner(ore: int | None) -> str:
    """øre as kroner with a decimal comma and no thousands separator ("1234,50"), as a
    Danish spreadsheet reads a number; empty for no amount."""
    if ore is None:
        return ""
    sign = "-" if ore < 0 else ""
    whole, fraction = divmod(abs(ore), 100)
    return f"{sign}{whole},{fraction:02d}"


def score_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)).replace(".", ",")


def csv_header() -> list[str]:
    return [
        _("Organisation"),
        _("CVR"),
        _("Områdekontor"),
        _("Projekttype"),
        _("Projektets titel"),
        _("Status"),
        _("Søgt (kr.)"),
        _("Samlede udgifter (kr.)"),
        _("Afgørelse"),
        _("Bevilget (kr.)"),
        _("Afgjort (dansk tid)"),
        _("Gennemsnitlig vægtet score (0-100)"),
    ]


def csv_rows(grant_round: GrantRound) -> tuple[list[str], list[list[str]]]:
    """The header and one row per sent application, in the list's order."""
    applications = sent_applications(grant_round)
    scores = mean_scores(applications)
    rows = []
    for a in applications:
        row = [
            a.organisation.name,
            a.organisation.cvr,
            a.organisation.area_office.name,
            label(a.project_kind),
            a.title,
            label(a.state),
            csv_kroner(a.requested_ore),
            csv_kroner(a.total_cost_ore),
            label(a.decision) if a.decision else "",
            csv_kroner(a.granted_ore) if a.decision in GRANTING else "",
            local(a.decided_at).strftime("%d.%m.%Y %H:%M") if a.decided_at else "",
            score_text(scores.get(a.id)),
        ]
        rows.append(row)
    return csv_header(), rows


def record_export(grant_round: GrantRound, actor: User, rows: int) -> None:
    """The export is a read of the organisations' applications: audited."""
    audit.record(
        "grant_round.export",
        object_type="grant_round",
        object_id=grant_round.id,
        details={"rows": rows, "format": "csv"},
        actor_id=str(actor.id),
    )
