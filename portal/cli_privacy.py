"""Operator commands for privacy: ``flask portal retention`` (for cron)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from portal import db
from portal.cli import portal_cli
from portal.services import retention

# How many ids per rule a dry run prints; the count is always complete.
SHOWN_IDS = 20


@portal_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; change nothing.")
@click.option(
    "--at",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="Apply the rules as of this moment (UTC), e.g. to catch up; default: now.",
)
def retention_command(dry_run: bool, at: datetime | None) -> None:
    """Delete or anonymise the personal data whose retention has run out, rule by rule.

    Meant for cron (daily); running it twice does nothing the second time. A dry run lists
    the ids it would touch; only its audit entry is saved.
    """
    now = at.replace(tzinfo=UTC) if at is not None else None
    report = retention.run(now, dry_run=dry_run)
    # A dry run has changed nothing but written its audit entry, which is kept.
    db.session.commit()
    heading = "Retention dry run (nothing changed)" if dry_run else "Retention run"
    click.echo(f"{heading} as of {report.at.isoformat(timespec='seconds')}:")
    width = max(len(outcome.rule.name) for outcome in report.outcomes)
    for outcome in report.outcomes:
        click.echo(f"  {outcome.rule.name:<{width}}  {outcome.count}")
        if dry_run and outcome.ids:
            shown = ", ".join(outcome.ids[:SHOWN_IDS])
            more = len(outcome.ids) - SHOWN_IDS
            click.echo(f"    {shown}" + (f" (+{more} more)" if more > 0 else ""))
    click.echo(f"Total: {report.total} rows; documents deleted: {report.documents}.")
