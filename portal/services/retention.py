"""Retention: the rules as data (``RULES``: what happens to which personal data, and when,
matching the models' declared ``retention`` texts) and the job that applies them
(``flask portal retention``, for cron) as of a moment, keeps the counts of deleted rows per
rule and year, and writes one summary entry to the audit log.

The job is idempotent: each rule finds only rows that still hold what it removes, so a second
run finds nothing. A dry run finds the same rows and changes nothing; it is audited too (it
lists ids, never content). ``now`` is a parameter, so tests and an operator catching up can
run it for a given moment. On PostgreSQL an advisory lock keeps two runs from overlapping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal import audit, db
from portal.db import utcnow
from portal.models import AuditEntry, RetentionTally
from portal.services import retention_cases as cases
from portal.services import retention_people as people
from portal.services.retention_rules import RetentionAction, RetentionRule, row_label

RUN_ACTION = "retention.run"
DRY_RUN_ACTION = "retention.dry_run"
# How many ids per rule the audit entry names; the count is always complete.
AUDITED_IDS = 100
# An arbitrary constant naming this job's lock among the database's advisory locks.
_RUN_LOCK_KEY = 0x50_52_45_54_4E  # "PRETN"


# --- the rules, in the order they run ---------------------------------------------------------

RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        name="volunteer_cpr",
        title=_l("Frivilliges CPR-numre"),
        description=_l(
            "CPR-nummeret slettes, når resultatet af tjekket i Kriminalregistret registreres (det sikrer databasen selv). Uden et resultat slettes det, når den frivillige trækker sit samtykke tilbage, og når den frivillige ikke har gjort underskriften færdig, og både invitationen og CPR-nummeret er mere end 30 dage gamle."
        ),
        action=RetentionAction.ERASE,
        tables=("volunteer",),
        find=people.find_volunteer_cpr,
        apply=people.apply_volunteer_cpr,
    ),
    RetentionRule(
        name="volunteers",
        title=_l("Frivillige"),
        description=_l(
            "5 år efter at den frivilliges sidste adgang er ophørt (eller 5 år efter det sidste, der skete i sagen, hvis den frivillige aldrig fik adgang) anonymiseres den frivillige: navn, e-mail, telefon og fødselsdato fjernes, og underskrifter, kvitteringer og forberedelsesnoter slettes. Rækken bliver stående til statistik. Den frivilliges egen konto anonymiseres med, når den ikke bruges til andet."
        ),
        action=RetentionAction.ANONYMISE,
        tables=(
            "volunteer",
            "signature",
            "volunteer_preparation",
            "volunteer_event",
            "access_grant",
            "activity_participant",
            "document",
        ),
        find=people.find_volunteers,
        apply=people.apply_volunteers,
    ),
    RetentionRule(
        name="accounts",
        title=_l("Brugerkonti"),
        description=_l(
            "Konti, der har været deaktiveret i mere end 12 måneder, anonymiseres: navn, e-mail, adgangskode, roller, sessioner, identiteter og egne dokumenter fjernes. Kontoen bliver stående som »Slettet bruger«, så andres sager stadig viser, at nogen handlede. En frivilligs konto følger den frivilliges regel."
        ),
        action=RetentionAction.ANONYMISE,
        tables=(
            "user_account",
            "role_assignment",
            "login_session",
            "account_token",
            "external_identity",
            "document",
        ),
        find=people.find_accounts,
        apply=people.apply_accounts,
    ),
    RetentionRule(
        name="login_sessions",
        title=_l("Log-in-sessioner"),
        description=_l(
            "Slettes 30 dage efter, at sessionen er udløbet (efter inaktivitet eller den længste tilladte varighed) eller logget ud."
        ),
        action=RetentionAction.DELETE,
        tables=("login_session",),
        find=people.find_login_sessions,
        apply=people.apply_login_sessions,
    ),
    RetentionRule(
        name="account_tokens",
        title=_l("Invitationer og links til ny adgangskode"),
        description=_l("Slettes 30 dage efter, at linket er udløbet, brugt eller trukket tilbage."),
        action=RetentionAction.DELETE,
        tables=("account_token",),
        find=people.find_account_tokens,
        apply=people.apply_account_tokens,
    ),
    RetentionRule(
        name="rejected_organisations",
        title=_l("Afviste organisationer"),
        description=_l(
            "12 måneder efter afslaget slettes organisationens dokumenter (også filerne), og kontaktoplysningerne, begrundelserne, beskederne i sagens historik og hvem der oprettede og behandlede sagen ryddes. Organisationen bliver stående med navn og CVR-nummer til statistik."
        ),
        action=RetentionAction.ERASE,
        tables=("organisation", "organisation_event", "document"),
        find=cases.find_rejected_organisations,
        apply=cases.apply_rejected_organisations,
    ),
    RetentionRule(
        name="activities",
        title=_l("Aktiviteter"),
        description=_l(
            "5 år efter aktivitetens sidste dato ryddes begrundelser, beskeder i historikken, årsager til at deltagere blev spærret, og hvem der foreslog og besluttede. Aktiviteten og deltagerne bliver stående til statistik."
        ),
        action=RetentionAction.ERASE,
        tables=("activity", "activity_event", "activity_participant"),
        find=cases.find_activities,
        apply=cases.apply_activities,
    ),
    RetentionRule(
        name="grants",
        title=_l("Tilskudssager"),
        description=_l(
            "10 år efter at tilskudssagen er afsluttet (lukket, afvist ved screening, afslået eller takket nej til) ryddes beskeder i historikken, begrundelserne for screening og afgørelse, bedømmernes bemærkninger og begrundelser for inhabilitet, teksterne i ændringsanmodninger, udbetalinger og rapportafgørelser, og hvem der handlede. Beløb, point, budget, afgørelsens udfald og betingelserne bliver stående."
        ),
        action=RetentionAction.ERASE,
        tables=(
            "grant_application",
            "grant_application_event",
            "review_assignment",
            "review_score",
            "grant_change_request",
            "grant_report",
            "grant_payment",
        ),
        find=cases.find_grants,
        apply=cases.apply_grants,
    ),
    RetentionRule(
        name="institution_contacts",
        title=_l("Kontaktpersoner på institutioner"),
        description=_l(
            "En kontaktperson slettes med det samme, når administratoren fjerner personen. Kontaktpersoner på en institution, der ikke længere er aktiv, slettes ved næste kørsel."
        ),
        action=RetentionAction.DELETE,
        tables=("institution_contact",),
        find=cases.find_institution_contacts,
        apply=cases.apply_institution_contacts,
    ),
    RetentionRule(
        name="subject_requests",
        title=_l("De registreredes anmodninger"),
        description=_l(
            "Slettes med historik og indsigtsudtræk (også filen) 3 år efter, at anmodningen er besvaret eller afvist."
        ),
        action=RetentionAction.DELETE,
        tables=("data_subject_request", "data_subject_request_event", "document"),
        find=cases.find_subject_requests,
        apply=cases.apply_subject_requests,
    ),
    RetentionRule(
        name="orphaned_documents",
        title=_l("Dokumenter uden ejer"),
        description=_l(
            "Et dokument, hvis organisation eller person ikke længere findes, slettes med filen."
        ),
        action=RetentionAction.DELETE,
        tables=("document",),
        find=cases.find_orphaned_documents,
        apply=cases.apply_orphaned_documents,
    ),
    RetentionRule(
        name="audit_log",
        title=_l("Revisionsloggen"),
        description=_l(
            "Hændelser, der er mere end 5 år gamle, slettes. Kæden kontrolleres derefter fra et kontrolpunkt: den første bevarede hændelses henvisning til den slettede forgænger, som også står i loggen selv."
        ),
        action=RetentionAction.DELETE,
        tables=("audit_entry", "audit_checkpoint"),
        find=cases.find_audit_entries,
        apply=cases.apply_audit_entries,
    ),
)

RULES_BY_NAME: dict[str, RetentionRule] = {rule.name: rule for rule in RULES}


@dataclass(frozen=True)
class RuleOutcome:
    rule: RetentionRule
    ids: list[str]  # the rows found (ids only)
    documents: int = 0  # documents (and their files) deleted with them

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class RetentionReport:
    at: datetime
    dry_run: bool
    outcomes: list[RuleOutcome]

    @property
    def counts(self) -> dict[str, int]:
        return {outcome.rule.name: outcome.count for outcome in self.outcomes}

    @property
    def total(self) -> int:
        return sum(outcome.count for outcome in self.outcomes)

    @property
    def documents(self) -> int:
        return sum(outcome.documents for outcome in self.outcomes)

    def audit_details(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "counts": self.counts,
            "documents": self.documents,
            "ids": {
                outcome.rule.name: outcome.ids[:AUDITED_IDS]
                for outcome in self.outcomes
                if outcome.ids
            },
        }


def _selected(only: Iterable[str] | None) -> tuple[RetentionRule, ...]:
    if only is None:
        return RULES
    wanted = set(only)
    unknown = wanted - RULES_BY_NAME.keys()
    if unknown:
        raise ValueError(f"unknown retention rules: {', '.join(sorted(unknown))}")
    return tuple(rule for rule in RULES if rule.name in wanted)


def _lock_run(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RUN_LOCK_KEY})


def _add_tallies(rule: str, deleted_by_year: Counter[int]) -> None:
    session = db.session
    for year, count in sorted(deleted_by_year.items()):
        if not count:
            continue
        tally = session.scalar(
            select(RetentionTally).where(RetentionTally.rule == rule, RetentionTally.year == year)
        )
        if tally is None:
            session.add(RetentionTally(rule=rule, year=year, count=count, updated_at=utcnow()))
        else:
            tally.count += count
            tally.updated_at = utcnow()
    session.flush()


def preview(now: datetime | None = None, only: Iterable[str] | None = None) -> RetentionReport:
    """What a run as of ``now`` would do, rule by rule; changes nothing, writes nothing."""
    now = now or utcnow()
    outcomes = [
        RuleOutcome(rule, [row_label(row) for row in rule.find(now)]) for rule in _selected(only)
    ]
    return RetentionReport(now, True, outcomes)


def run(
    now: datetime | None = None, dry_run: bool = False, only: Iterable[str] | None = None
) -> RetentionReport:
    """Apply every retention rule (or those named in ``only``) as of ``now`` in the caller's
    transaction, and audit the summary ("retention.run", or "retention.dry_run" for a dry
    run, which changes nothing else). Files go from storage when the transaction commits."""
    now = now or utcnow()
    session = db.session
    _lock_run(session)
    if dry_run:
        report = preview(now, only)
    else:
        outcomes = []
        for rule in _selected(only):
            rows = rule.find(now)
            ids = [row_label(row) for row in rows]
            documents = 0
            if rows:
                applied = rule.apply(rows, now)
                _add_tallies(rule.name, applied.deleted_by_year)
                documents = applied.documents
            session.flush()
            outcomes.append(RuleOutcome(rule, ids, documents))
        report = RetentionReport(now, False, outcomes)
    audit.record(
        DRY_RUN_ACTION if dry_run else RUN_ACTION,
        object_type="job",
        object_id="retention",
        details=report.audit_details(),
    )
    return report


# --- what the DPO's page reads ---------------------------------------------------------------


@dataclass(frozen=True)
class PastRun:
    occurred_at: datetime
    actor_label: str
    at: str  # the moment the run applied the rules as of (ISO)
    counts: dict[str, int]
    documents: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def last_runs(limit: int = 10) -> list[PastRun]:
    """The latest real runs, newest first, from their audit entries."""
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == RUN_ACTION)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    runs = []
    for entry in entries:
        details = entry.details or {}
        counts = details.get("counts") or {}
        runs.append(
            PastRun(
                occurred_at=entry.occurred_at,
                actor_label=entry.actor_label,
                at=str(details.get("at", "")),
                counts={str(name): int(count) for name, count in counts.items()},
                documents=int(details.get("documents") or 0),
            )
        )
    return runs


def tallies() -> list[RetentionTally]:
    """The counts of deleted rows, by rule (in the rules' order) and year."""
    order = {rule.name: position for position, rule in enumerate(RULES)}
    rows = list(db.session.scalars(select(RetentionTally)))
    return sorted(rows, key=lambda tally: (order.get(tally.rule, len(order)), tally.year))
