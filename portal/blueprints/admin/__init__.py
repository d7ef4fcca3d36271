from portal.blueprints.admin import (
    declarations,  # noqa: F401  (its routes join bp)
    institution_details,  # noqa: F401  (its routes join bp)
    rule_profiles,  # noqa: F401  (its routes join bp)
)
from portal.blueprints.admin.routes import bp

__all__ = ["bp"]
