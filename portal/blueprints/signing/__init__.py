from portal.blueprints.signing.routes import bp

__all__ = ["bp"]
