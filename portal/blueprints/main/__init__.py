from portal.blueprints.main.routes import bp

__all__ = ["bp"]
