"""The record of processing (art. 30): the page, the DPO's own fields, the PDF and the CSV are the
DPO's alone (403 for every other role). A POST with an empty body is an invalid form (400)."""

from __future__ import annotations

from tests.matrix import Route, fixed, only

DPO = {"dpo"}

ROUTES: list[Route] = [
    Route("GET", "privacy.record", fixed("/databeskyttelse/fortegnelse"), only(DPO, 200)),
    Route(
        "GET",
        "privacy.record_settings",
        fixed("/databeskyttelse/fortegnelse/oplysninger"),
        only(DPO, 200),
    ),
    Route(
        "POST",
        "privacy.record_settings_post",
        fixed("/databeskyttelse/fortegnelse/oplysninger"),
        only(DPO, 400),
    ),
    Route("GET", "privacy.record_pdf", fixed("/databeskyttelse/fortegnelse.pdf"), only(DPO, 200)),
    Route("GET", "privacy.record_csv", fixed("/databeskyttelse/fortegnelse.csv"), only(DPO, 200)),
]
