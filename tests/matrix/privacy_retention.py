"""The DPO's retention page: read-only, for the DPO alone."""

from __future__ import annotations

from tests.matrix import Route, fixed, only

DPO = {"dpo"}

ROUTES: list[Route] = [
    Route("GET", "privacy.retention", fixed("/databeskyttelse/sletning"), only(DPO, 200)),
]
