from portal.blueprints.organisations.routes import bp

__all__ = ["bp"]
