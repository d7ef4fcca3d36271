from portal.blueprints.grant_applications import (
    answer_routes,  # noqa: F401  (its routes join bp)
    attachment_routes,  # noqa: F401  (its routes join bp)
    submit_routes,  # noqa: F401  (its routes join bp)
)
from portal.blueprints.grant_applications.routes import bp

__all__ = ["bp"]
