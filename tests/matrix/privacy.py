"""The DPO's landing page for privacy (the parts have their own modules: privacy_record,
privacy_requests, privacy_retention, privacy_audit)."""

from __future__ import annotations

from tests.matrix import Route, fixed, only

DPO = {"dpo"}

ROUTES: list[Route] = [
    Route("GET", "privacy.index", fixed("/databeskyttelse"), only(DPO, 200)),
]
