"""The settings of the OpenID Connect providers, and assurance levels.

``PORTAL_OIDC_PROVIDERS`` is a JSON list of provider objects; ``parse_providers`` reads and
checks it so that a mistake stops the start with a message that says exactly what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from portal.config import ConfigurationError
from portal.models import Role

WELL_KNOWN = "/.well-known/openid-configuration"
DEFAULT_SCOPES = "openid email profile"
KINDS = ("staff", "citizen")
# The name is part of URLs and of the login method "oidc:<name>" (a 20-character column).
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,14}$")
REQUIRED_KEYS = ("name", "label", "discovery_url", "client_id", "client_secret", "kind", "roles")
OPTIONAL_KEYS = ("label_en", "scopes", "acr_values", "required_assurance")

# Assurance levels with a known order (NSIS and eIDAS): ".../Low" < ".../Substantial" < ".../High".
_LEVEL_RANK = {"low": 1, "substantial": 2, "high": 3}


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    label: str
    discovery_url: str
    client_id: str
    client_secret: str = field(repr=False)
    kind: str
    roles: frozenset[Role]
    label_en: str = ""
    scopes: str = DEFAULT_SCOPES
    acr_values: str = ""
    required_assurance: str = ""

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    def label_for(self, language: str) -> str:
        return self.label_en if language == "en" and self.label_en else self.label

    @property
    def accepted_assurance(self) -> tuple[str, ...]:
        """The levels of which the login must reach at least one; empty: no requirement."""
        if self.required_assurance:
            return (self.required_assurance,)
        return tuple(self.acr_values.split())


def _problem(index: int, item: Mapping[str, Any] | None, message: str) -> ConfigurationError:
    name = item.get("name") if isinstance(item, Mapping) else None
    which = f"provider {index + 1}" + (f' ("{name}")' if isinstance(name, str) and name else "")
    return ConfigurationError(f"PORTAL_OIDC_PROVIDERS: {which}: {message}")


def _parse_provider(index: int, item: object, production: bool) -> ProviderConfig:
    if not isinstance(item, dict):
        raise _problem(index, None, "must be a JSON object")
    unknown = sorted(set(item) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        allowed = ", ".join((*REQUIRED_KEYS, *OPTIONAL_KEYS))
        raise _problem(index, item, f"unknown key(s) {', '.join(unknown)} (allowed: {allowed})")
    missing = [key for key in REQUIRED_KEYS if key not in item]
    if missing:
        raise _problem(index, item, f"missing key(s) {', '.join(missing)}")
    for key in (*REQUIRED_KEYS, *OPTIONAL_KEYS):
        if key == "roles" or key not in item:
            continue
        if not isinstance(item[key], str):
            raise _problem(index, item, f"'{key}' must be a string")
        if key in REQUIRED_KEYS and not item[key].strip():
            raise _problem(index, item, f"'{key}' must not be empty")

    name = item["name"]
    if not NAME_PATTERN.match(name):
        raise _problem(
            index,
            item,
            "'name' must be 1-15 characters of a-z, 0-9 and '-', starting with a letter or digit "
            "(it is used in the login URLs)",
        )
    url = urlsplit(item["discovery_url"])
    if url.scheme not in ("http", "https") or not url.netloc:
        raise _problem(index, item, "'discovery_url' must be an http(s) URL")
    if production and url.scheme != "https":
        raise _problem(index, item, "'discovery_url' must use https in production")
    if not item["discovery_url"].endswith(WELL_KNOWN):
        raise _problem(
            index, item, f"'discovery_url' must end with {WELL_KNOWN} (the discovery document)"
        )
    kind = item["kind"]
    if kind not in KINDS:
        raise _problem(index, item, '\'kind\' must be "staff" or "citizen"')
    raw_roles = item["roles"]
    valid_roles = ", ".join(role.value for role in Role)
    if not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
        raise _problem(index, item, f"'roles' must be a list of role names ({valid_roles})")
    bad_roles = [r for r in raw_roles if r not in {role.value for role in Role}]
    if bad_roles:
        raise _problem(
            index, item, f"unknown role(s) {', '.join(bad_roles)} (known: {valid_roles})"
        )
    if kind == "staff" and not raw_roles:
        raise _problem(index, item, "a staff provider needs at least one role in 'roles'")
    scopes = item.get("scopes", DEFAULT_SCOPES).strip() or DEFAULT_SCOPES
    if "openid" not in scopes.split():
        raise _problem(index, item, "'scopes' must include openid")
    return ProviderConfig(
        name=name,
        label=item["label"].strip(),
        label_en=item.get("label_en", "").strip(),
        discovery_url=item["discovery_url"],
        client_id=item["client_id"],
        client_secret=item["client_secret"],
        kind=kind,
        roles=frozenset(Role(r) for r in raw_roles),
        scopes=scopes,
        acr_values=" ".join(item.get("acr_values", "").split()),
        required_assurance=item.get("required_assurance", "").strip(),
    )


def parse_providers(raw: str, *, production: bool = False) -> tuple[ProviderConfig, ...]:
    """Read ``PORTAL_OIDC_PROVIDERS``; a ConfigurationError says exactly what is wrong."""
    try:
        data = json.loads(raw or "[]")
    except json.JSONDecodeError as error:
        raise ConfigurationError(
            f"PORTAL_OIDC_PROVIDERS is not valid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(data, list):
        raise ConfigurationError("PORTAL_OIDC_PROVIDERS must be a JSON list of provider objects")
    providers = tuple(_parse_provider(i, item, production) for i, item in enumerate(data))
    seen: set[str] = set()
    for index, provider in enumerate(providers):
        if provider.name in seen:
            raise _problem(index, {"name": provider.name}, "the name is used twice")
        seen.add(provider.name)
    return providers


# --- assurance ------------------------------------------------------------------------------


def assurance_satisfies(actual: str, required: str) -> bool:
    """Whether the ``acr`` the provider reported reaches ``required``.

    Levels on a known scale with the same prefix (NSIS ``.../loa/Low|Substantial|High``, eIDAS
    ``.../LoA/low|substantial|high``) compare by rank; anything else must be equal.
    """
    if not actual:
        return False
    if actual == required:
        return True
    actual_prefix, _, actual_level = actual.rpartition("/")
    required_prefix, _, required_level = required.rpartition("/")
    actual_rank = _LEVEL_RANK.get(actual_level.lower())
    required_rank = _LEVEL_RANK.get(required_level.lower())
    if actual_rank and required_rank and actual_prefix.lower() == required_prefix.lower():
        return actual_rank >= required_rank
    return False


_LEVEL_LABELS = {1: _l("Lav"), 2: _l("Betydelig"), 3: _l("Høj")}


def assurance_label(acr: str) -> str:
    """The level in words (NSIS: lav, betydelig, høj); an unknown level as the provider sent it."""
    rank = _LEVEL_RANK.get(acr.rpartition("/")[2].lower())
    return str(_LEVEL_LABELS[rank]) if rank else acr


def assurance_accepted(provider: ProviderConfig, acr: str) -> bool:
    levels = provider.accepted_assurance
    return not levels or any(assurance_satisfies(acr, level) for level in levels)
