"""Reads of sensitive data that the audit log must show the DPO (issue 8: "every read of
sensitive data appears there").

The CPR reveal (``clearance.reveal_cpr``), the CSV exports and document downloads record
themselves where they happen; this module holds the reads that happen by showing a page.
"""

from __future__ import annotations

from portal import audit
from portal.models import Volunteer


def check_outcome_viewed(volunteer: Volunteer, *, page: str, reason_shown: bool = False) -> None:
    """Record that staff saw the outcome of a volunteer's criminal-record check (data about
    offences, GDPR art. 10) on ``page``. Nothing is recorded before there is an outcome, nor
    for the volunteer's own page; the outcome itself stays out of the log."""
    if volunteer.check_outcome is None:
        return
    audit.record(
        "volunteer.check_outcome_viewed",
        object_type="volunteer",
        object_id=volunteer.id,
        details={"page": page, "reason_shown": reason_shown},
    )
