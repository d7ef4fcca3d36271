from portal.blueprints.institutions.routes import bp

__all__ = ["bp"]
