"""Operator commands for volunteers: ``flask portal send-reminders`` (for cron) and
``flask portal verify-signatures``."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime

import click
from sqlalchemy import select

from portal import db
from portal.cli import portal_cli
from portal.models import Signature
from portal.services import reminders, signing


@portal_cli.command("send-reminders")
@click.option(
    "--at",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="Run as of this moment (UTC), e.g. to catch up; default: now.",
)
def send_reminders_command(at: datetime | None) -> None:
    """Invitation reminders and lapse notices, access-expiry reminders, and expiry of access.

    Meant for cron (daily is enough); running it twice sends nothing twice.
    """
    now = at.replace(tzinfo=UTC) if at is not None else None
    counts = reminders.run(now)
    db.session.commit()
    for name, count in sorted(counts.items()):
        click.echo(f"{name}: {count}")


@portal_cli.command("verify-signatures")
@click.option(
    "--volunteer-id",
    type=click.UUID,
    default=None,
    help="Verify only this volunteer's signatures.",
)
def verify_signatures_command(volunteer_id: uuid.UUID | None) -> None:
    """Check every signature's text hash and sealed evidence; exit 1 if any fails."""
    query = select(Signature).order_by(Signature.signed_at, Signature.id)
    if volunteer_id is not None:
        query = query.where(Signature.volunteer_id == volunteer_id)
    checked = failed = 0
    for signature in db.session.scalars(query):
        checked += 1
        result = signing.verify(signature)
        if not result.ok:
            failed += 1
            click.echo(
                f"Signature {signature.id} (volunteer {signature.volunteer_id}) FAILED: "
                + " ".join(result.problems),
                err=True,
            )
    if failed:
        click.echo(f"{failed} of {checked} signatures do not verify.", err=True)
        sys.exit(1)
    click.echo(f"Signatures OK: {checked} verified.")
