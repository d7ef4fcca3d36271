from portal.blueprints.grant_assessment.routes import bp

__all__ = ["bp"]
