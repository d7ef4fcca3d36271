from portal.blueprints.grant_reviews.routes import bp

__all__ = ["bp"]
