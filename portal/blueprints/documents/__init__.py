from portal.blueprints.documents.routes import bp

__all__ = ["bp"]
