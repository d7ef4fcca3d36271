from portal.blueprints.activities import (
    activity_routes,  # noqa: F401  (its routes join bp)
    proposal_routes,  # noqa: F401  (its routes join bp)
)
from portal.blueprints.activities.routes import bp

__all__ = ["bp"]
