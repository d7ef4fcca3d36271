"""The building blocks of the route x role matrix: a Route row and the expected-status helpers.

Each area of the portal lists its routes in ``tests/matrix/<area>.py`` as ``ROUTES`` (and, if
its URLs need ids of its own, a ``world(session)`` that returns them); test_route_matrix.py
gathers them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.roles import ALL_ROLES, ANONYMOUS

LOGIN_REDIRECT = 302
LOGGED_IN = [role for role in ALL_ROLES if role != ANONYMOUS]


@dataclass(frozen=True)
class Route:
    method: str
    endpoint: str
    url: Callable[[dict[str, Any]], str]
    expected: dict[str, int]


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ALL_ROLES, status)


def logged_in(status: int) -> dict[str, int]:
    return {ANONYMOUS: LOGIN_REDIRECT, **dict.fromkeys(LOGGED_IN, status)}


def anonymous_only(anon_status: int, others: int = 302) -> dict[str, int]:
    return {ANONYMOUS: anon_status, **dict.fromkeys(LOGGED_IN, others)}


def only(roles: set[str], status: int) -> dict[str, int]:
    return {ANONYMOUS: LOGIN_REDIRECT, **{r: status if r in roles else 403 for r in LOGGED_IN}}


ADMIN = {"admin"}
# Who may see organisation A (area Øst) and its documents; everyone else gets 404.
SEES_ORG_A = {"ngo_a_admin", "ngo_a_member", "caseworker_ost", "grant_officer", "dpo", "admin"}
UPLOADS_FOR_ORG_A = {"ngo_a_admin", "ngo_a_member"}


def tenant(
    sees: set[str],
    status: int,
    *,
    others_seeing: int | None = None,
    uploads: set[str] | None = None,
) -> dict[str, int]:
    """Another tenant's record is a 404; those who see it but may not act get ``others_seeing``."""
    expected = {ANONYMOUS: LOGIN_REDIRECT}
    for role in LOGGED_IN:
        if role not in sees:
            expected[role] = 404
        elif uploads is not None and role not in uploads:
            expected[role] = others_seeing if others_seeing is not None else status
        else:
            expected[role] = status
    return expected


def fixed(path: str) -> Callable[[dict[str, Any]], str]:
    return lambda _world: path
