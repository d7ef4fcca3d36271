"""Partnerportalen: the application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, send_from_directory
from werkzeug.wrappers import Response

from portal import config as portal_config
from portal import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from ``PORTAL_*`` settings; ``overrides`` (tests) replace any of them."""
    settings = portal_config.load_settings()
    settings.update({k: v for k, v in (overrides or {}).items() if k.isupper() and k in settings})
    instance_path = Path(settings["INSTANCE_PATH"] or PROJECT_ROOT / "instance").resolve()
    instance_path.mkdir(parents=True, exist_ok=True)

    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    app.config.update(portal_config.build_flask_config(settings, instance_path))
    app.config.update({k: v for k, v in (overrides or {}).items() if k not in settings})
    logging.basicConfig(
        level=settings["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    _init_extensions(app)
    _register_blueprints(app)
    _register_assets(app)

    from portal import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal import storage
    from portal.auth import oidc
    from portal.auth import session as auth_session
    from portal.extensions import babel, csrf, limiter, select_locale

    db.init_app(app)
    storage.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    limiter.init_app(app)
    auth_session.init_app(app)
    oidc.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from portal.blueprints.activities import bp as activities_bp
    from portal.blueprints.admin import bp as admin_bp
    from portal.blueprints.auth import bp as auth_bp
    from portal.blueprints.calendar import bp as calendar_bp
    from portal.blueprints.cases import bp as cases_bp
    from portal.blueprints.clearance import bp as clearance_bp
    from portal.blueprints.directory import bp as directory_bp
    from portal.blueprints.documents import bp as documents_bp
    from portal.blueprints.grant_applications import bp as grant_applications_bp
    from portal.blueprints.grant_assessment import bp as grant_assessment_bp
    from portal.blueprints.grant_followup import bp as grant_followup_bp
    from portal.blueprints.grant_reviews import bp as grant_reviews_bp
    from portal.blueprints.grant_rounds import bp as grant_rounds_bp
    from portal.blueprints.institutions import bp as institutions_bp
    from portal.blueprints.main import bp as main_bp
    from portal.blueprints.onboarding import bp as onboarding_bp
    from portal.blueprints.organisations import bp as organisations_bp
    from portal.blueprints.privacy import bp as privacy_bp
    from portal.blueprints.signing import bp as signing_bp
    from portal.blueprints.volunteers import bp as volunteers_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(onboarding_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(volunteers_bp)
    app.register_blueprint(signing_bp)
    app.register_blueprint(clearance_bp)
    app.register_blueprint(institutions_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(activities_bp)
    app.register_blueprint(grant_rounds_bp)
    app.register_blueprint(grant_applications_bp)
    app.register_blueprint(grant_assessment_bp)
    app.register_blueprint(grant_reviews_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(grant_followup_bp)


def _register_assets(app: Flask) -> None:
    """Serve Det Fælles Designsystem's dist folder (installed by npm) at /static/dkfds/."""
    configured = app.config["PORTAL"]["DKFDS_DIST"]
    dist = Path(configured) if configured else PROJECT_ROOT / "node_modules" / "dkfds" / "dist"

    def dkfds(filename: str) -> Response:
        return send_from_directory(dist, filename, max_age=86400)

    dkfds._portal_access = "public"  # type: ignore[attr-defined]
    app.add_url_rule("/static/dkfds/<path:filename>", endpoint="dkfds", view_func=dkfds)
