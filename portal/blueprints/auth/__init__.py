from portal.blueprints.auth import oidc_routes  # noqa: F401  (OpenID Connect views on the same bp)
from portal.blueprints.auth.routes import bp

__all__ = ["bp"]
