"""Privacy: the DPO's pages (record of processing, data-subject requests, retention, audit
log) and every person's own "Mine data" page. Each part is a module whose routes join ``bp``."""

from portal.blueprints.privacy import (
    audit_routes,  # noqa: F401  (its routes join bp)
    my_data_routes,  # noqa: F401
    record_routes,  # noqa: F401
    request_routes,  # noqa: F401
    retention_routes,  # noqa: F401
)
from portal.blueprints.privacy.routes import bp

__all__ = ["bp"]
