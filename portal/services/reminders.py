"""The daily job for cron (``flask portal send-reminders``): reminders and expiry for volunteers,
and the flags on approved activities whose participants may no longer take part.

Every step marks what it has done on the row it concerns, so running the job twice, or two
overlapping runs after each other, sends nothing twice. ``now`` is a parameter so that tests
(and an operator catching up) can run it for a given moment.
"""

from __future__ import annotations

from datetime import datetime

from portal import audit
from portal.db import utcnow


def run(now: datetime | None = None) -> dict[str, int]:
    """Send due invitation reminders and lapse notices, access-expiry reminders, and end
    expired access. Returns the counts of what was done (also written to the audit log)."""
    from portal.services import access_expiry, activity_flags, grant_followup, invitation_reminders

    now = now or utcnow()
    counts: dict[str, int] = {}
    counts.update(invitation_reminders.remind_invitations(now))
    counts.update(access_expiry.process_access_expiry(now))
    # After expiry, so access that ended today flags the activities it was needed for.
    counts.update(activity_flags.recheck_all(now))
    counts.update(grant_followup.report_reminders(now))
    audit.record(
        "reminders.run",
        object_type="job",
        details={"at": now.isoformat(), **counts},
        actor_label="system",
    )
    return counts
