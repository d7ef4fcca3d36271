from portal.blueprints.onboarding.routes import bp

__all__ = ["bp"]
