from portal.blueprints.grant_applications.routes import bp

__all__ = ["bp"]
