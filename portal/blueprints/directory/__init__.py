from portal.blueprints.directory.routes import bp

__all__ = ["bp"]
