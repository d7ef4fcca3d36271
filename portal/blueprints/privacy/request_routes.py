"""(being written)"""

from portal.blueprints.privacy.routes import bp  # noqa: F401
