from portal.blueprints.grant_followup.routes import bp

__all__ = ["bp"]
