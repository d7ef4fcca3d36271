from portal.blueprints.grant_followup import (
    change_routes,  # noqa: F401  (its routes join bp)
    report_routes,  # noqa: F401  (its routes join bp)
)
from portal.blueprints.grant_followup.routes import bp

__all__ = ["bp"]
