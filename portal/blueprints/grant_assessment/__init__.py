from portal.blueprints.grant_assessment import case_routes  # noqa: F401  (its routes join bp)
from portal.blueprints.grant_assessment.routes import bp

__all__ = ["bp"]
