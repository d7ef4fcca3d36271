from portal.blueprints.onboarding import case_view  # noqa: F401  (views on the same bp)
from portal.blueprints.onboarding.routes import bp

__all__ = ["bp"]
