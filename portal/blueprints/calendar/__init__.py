from portal.blueprints.calendar import feed_routes  # noqa: F401  (its routes join bp)
from portal.blueprints.calendar.routes import bp

__all__ = ["bp"]
