"""Operator command for OpenID Connect: ``flask portal link-identity``.

Registered on the ``portal`` command group by ``portal.auth.oidc.init_app``.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from portal import db
from portal.auth import oidc
from portal.cli import portal_cli
from portal.services import accounts, identities


def init_app(_app: Flask) -> None:
    portal_cli.add_command(link_identity_command)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command("link-identity")
@click.option("--email", required=True, help="The portal account's e-mail address.")
@click.option("--provider", required=True, help="The provider's name in PORTAL_OIDC_PROVIDERS.")
@click.option("--subject", required=True, help="The person's id (sub) at the provider.")
@click.option(
    "--issuer",
    default="",
    help="The provider's issuer. Default: read from its discovery document.",
)
@with_appcontext
def link_identity_command(email: str, provider: str, subject: str, issuer: str) -> None:
    """Let an account log in with a provider: link (issuer, sub) to the account."""
    config = oidc.find_provider(provider)
    if config is None:
        known = ", ".join(p.name for p in oidc.configured_providers()) or "none"
        _fail(f"Unknown provider {provider!r}; configured in PORTAL_OIDC_PROVIDERS: {known}.")
        return
    user = accounts.find_user_by_email(email)
    if user is None:
        _fail(f"No account with the e-mail address {email}.")
        return
    if not issuer:
        try:
            issuer = oidc.provider_issuer(config)
        except oidc.ProviderUnavailable as error:
            _fail(f"Could not read the issuer of {provider!r} ({error}); pass --issuer.")
            return
    try:
        identity = identities.link_identity(user, config.name, issuer, subject)
    except identities.IdentityError as error:
        _fail(str(error.message))
        return
    db.session.commit()
    allowed = ", ".join(sorted(role.value for role in config.roles)) or "none"
    click.echo(f"Linked {identity.subject} at {identity.issuer} ({config.name}) to {user.email}.")
    if not user.has_role(*config.roles):
        click.echo(
            f"Note: {user.email} holds none of the roles {provider!r} may log in ({allowed}).",
            err=True,
        )
