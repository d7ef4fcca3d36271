"""Operator commands: ``flask portal <command>``."""

from __future__ import annotations

import getpass
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal import audit, db, migrate
from portal.models import Role
from portal.services import accounts, demo, reference

portal_cli = AppGroup("portal", help="Partnerportalen: database, reference data, demo data, audit.")


def init_app(app: Flask) -> None:
    from portal import cli_privacy, cli_volunteers  # noqa: F401

    app.cli.add_command(portal_cli)


def _commit() -> None:
    db.session.commit()


@portal_cli.command("migrate")
@click.option("--revision", default="head", show_default=True)
def migrate_command(revision: str) -> None:
    """Upgrade the database schema (Alembic) to the newest revision."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database upgraded to {revision}.")


@portal_cli.command("load-reference")
def load_reference_command() -> None:
    """Add the area offices, security levels, municipalities and institutions that are missing."""
    created = reference.load_reference()
    _commit()
    click.echo("Reference data: " + ", ".join(f"{k} +{v}" for k, v in created.items()))


@portal_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo accounts (password demo-password-1) and demo organisations."""
    if if_empty and not demo.database_is_empty():
        click.echo("The database has users already; demo data not loaded.")
        return
    reference.load_reference()
    created = demo.seed_demo()
    _commit()
    click.echo(f"Demo data loaded. Every demo account has the password {demo.DEMO_PASSWORD}:")
    for account in created:
        click.echo(f"  {account.email:<32} {account.description}")


@portal_cli.command("demo-logins")
def demo_logins_command() -> None:
    """Print the demo accounts."""
    click.echo(f"Demo logins (password {demo.DEMO_PASSWORD}):")
    for account in demo.DEMO_ACCOUNTS:
        click.echo(f"  {account.email:<32} {account.description}")


@portal_cli.command("audit-verify")
def audit_verify_command() -> None:
    """Check the audit log's hash chain; exit 1 and name the first broken row if it is broken."""
    result = audit.verify_chain(db.session)
    if result.ok:
        click.echo(f"Audit chain OK: {result.checked} entries verified.")
        return
    click.echo(
        f"Audit chain BROKEN at entry {result.broken_id}: {result.reason} "
        f"({result.checked} entries before it are intact).",
        err=True,
    )
    sys.exit(1)


@portal_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
def create_admin_command(email: str, name: str) -> None:
    """Create the first administrator (asks for the password)."""
    password = getpass.getpass("Password: ")
    try:
        user = accounts.create_user(email, name, password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error.message)) from error
    accounts.grant_role(user, Role.ADMIN)
    _commit()
    click.echo(f"Administrator {user.email} created.")
