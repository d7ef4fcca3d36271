"""PORTAL_OIDC_PROVIDERS is checked at startup, and assurance levels compare as they should."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from portal import create_app
from portal.auth.oidc_config import (
    ProviderConfig,
    assurance_accepted,
    assurance_label,
    assurance_satisfies,
    parse_providers,
)
from portal.config import ConfigurationError
from portal.models import Role
from tests.conftest import app_settings

NSIS = "https://data.gov.dk/concept/core/nsis/loa"


def provider(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "mitid",
        "label": "Log ind med MitID",
        "discovery_url": "https://broker.example/.well-known/openid-configuration",
        "client_id": "partnerportalen",
        "client_secret": "a-secret",
        "kind": "citizen",
        "roles": ["volunteer"],
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


def test_empty_list_means_no_providers() -> None:
    assert parse_providers("[]") == ()
    assert parse_providers("") == ()


def test_a_full_provider_is_read_with_its_defaults() -> None:
    (config,) = parse_providers(json.dumps([provider(acr_values=f" {NSIS}/Substantial ")]))
    assert config.name == "mitid" and config.kind == "citizen"
    assert config.roles == frozenset({Role.VOLUNTEER})
    assert config.scopes == "openid email profile"
    assert config.accepted_assurance == (f"{NSIS}/Substantial",)
    assert "a-secret" not in repr(config)
    assert config.label_for("en") == "Log ind med MitID"
    (english,) = parse_providers(json.dumps([provider(label_en="Log in with MitID")]))
    assert english.label_for("en") == "Log in with MitID"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"name": "x"}', "must be a JSON list"),
        ('["x"]', "provider 1: must be a JSON object"),
        (json.dumps([provider(colour="blue")]), "unknown key(s) colour"),
        (json.dumps([provider(client_secret=None)]), "missing key(s) client_secret"),
        (json.dumps([provider(client_id="  ")]), "'client_id' must not be empty"),
        (json.dumps([provider(label=3)]), "'label' must be a string"),
        (json.dumps([provider(name="MitID")]), "'name' must be 1-15 characters"),
        (json.dumps([provider(name="a-very-long-name")]), "'name' must be 1-15 characters"),
        (json.dumps([provider(), provider()]), 'provider 2 ("mitid"): the name is used twice'),
        (json.dumps([provider(discovery_url="broker.example")]), "must be an http(s) URL"),
        (
            json.dumps([provider(discovery_url="https://broker.example/")]),
            "must end with /.well-known/openid-configuration",
        ),
        (json.dumps([provider(kind="partner")]), '\'kind\' must be "staff" or "citizen"'),
        (json.dumps([provider(roles="volunteer")]), "'roles' must be a list"),
        (json.dumps([provider(roles=["king"])]), "unknown role(s) king"),
        (json.dumps([provider(kind="staff", roles=[])]), "a staff provider needs at least one"),
        (json.dumps([provider(scopes="email profile")]), "'scopes' must include openid"),
    ],
)
def test_mistakes_are_named(raw: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        parse_providers(raw)
    assert message in str(error.value)
    assert str(error.value).startswith("PORTAL_OIDC_PROVIDERS")


def test_production_needs_https() -> None:
    http = json.dumps(
        [provider(discovery_url="http://broker.example/.well-known/openid-configuration")]
    )
    assert parse_providers(http)
    with pytest.raises(ConfigurationError, match="must use https in production"):
        parse_providers(http, production=True)


def test_the_app_does_not_start_with_a_bad_setting(tmp_path: Path) -> None:
    settings = app_settings(
        f"sqlite:///{tmp_path / 'portal.db'}", tmp_path, OIDC_PROVIDERS='[{"name": "x"}]'
    )
    with pytest.raises(ConfigurationError, match="missing key"):
        create_app(settings)


@pytest.mark.parametrize(
    ("actual", "required", "ok"),
    [
        (f"{NSIS}/Substantial", f"{NSIS}/Substantial", True),
        (f"{NSIS}/High", f"{NSIS}/Substantial", True),
        (f"{NSIS}/Low", f"{NSIS}/Substantial", False),
        (f"{NSIS}/Substantial", f"{NSIS}/High", False),
        ("http://eidas.europa.eu/LoA/high", "http://eidas.europa.eu/LoA/substantial", True),
        # Another scale's "high" is not this scale's: only equal values pass then.
        ("http://eidas.europa.eu/LoA/high", f"{NSIS}/Substantial", False),
        ("urn:example:gold", "urn:example:gold", True),
        ("urn:example:silver", "urn:example:gold", False),
        ("", f"{NSIS}/Low", False),
    ],
)
def test_assurance_levels(actual: str, required: str, ok: bool) -> None:
    assert assurance_satisfies(actual, required) is ok


def test_assurance_requirement_of_a_provider() -> None:
    def config(**extra: str) -> ProviderConfig:
        (parsed,) = parse_providers(json.dumps([provider(**extra)]))
        return parsed

    assert assurance_accepted(config(), "")  # nothing required
    either = config(acr_values=f"{NSIS}/High {NSIS}/Substantial")
    assert assurance_accepted(either, f"{NSIS}/Substantial")
    assert not assurance_accepted(either, f"{NSIS}/Low")
    strict = config(acr_values=f"{NSIS}/Substantial", required_assurance=f"{NSIS}/High")
    assert not assurance_accepted(strict, f"{NSIS}/Substantial")


def test_assurance_in_words(app_ctx: Any) -> None:
    assert assurance_label(f"{NSIS}/Substantial") == "Betydelig"
    assert assurance_label("urn:example:gold") == "urn:example:gold"
