from portal.blueprints.clearance.routes import bp

__all__ = ["bp"]
