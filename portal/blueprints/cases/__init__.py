from portal.blueprints.cases.routes import bp

__all__ = ["bp"]
