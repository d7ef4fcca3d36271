from portal.blueprints.volunteers.routes import bp

__all__ = ["bp"]
