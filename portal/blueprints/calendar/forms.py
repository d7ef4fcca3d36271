"""Forms of the calendar pages: making or renewing a feed address is a POST with nothing but
the CSRF token (never a link that a crawler or a prefetch could follow)."""

from __future__ import annotations

from portal.forms import PortalForm


class FeedForm(PortalForm):
    """Only the CSRF token."""
