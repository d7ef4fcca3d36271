"""The DPO's audit log: the page and its CSV are the DPO's alone (everyone else 403)."""

from __future__ import annotations

from tests.matrix import Route, fixed, only

DPO = {"dpo"}

ROUTES: list[Route] = [
    Route("GET", "privacy.audit", fixed("/databeskyttelse/revisionslog"), only(DPO, 200)),
    Route("GET", "privacy.audit_csv", fixed("/databeskyttelse/revisionslog.csv"), only(DPO, 200)),
]
