from portal.blueprints.grant_rounds.routes import bp

__all__ = ["bp"]
