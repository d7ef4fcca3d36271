"""Public pages, the language switch, the health check and each user's start page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import login_required, public
from portal.blueprints.main.forms import LanguageForm
from portal.safe_redirect import safe_next
from portal.services import accounts
from portal.services.dashboards import panels_for

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.get("/overblik")
@login_required
def dashboard() -> str:
    return render_template("main/dashboard.html", panels=panels_for(current_user))


@bp.get("/kontakt")
@public
def contact() -> str:
    return render_template("main/contact.html")


@bp.get("/privatlivspolitik")
@public
def privacy() -> str:
    return render_template("main/privacy.html")


@bp.get("/tilgaengelighed")
@public
def accessibility() -> str:
    return render_template("main/accessibility.html")


@bp.post("/sprog")
@public
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            accounts.set_language(current_user._get_current_object(), form.language.data)
    return redirect(safe_next(form.next.data, url_for("main.index")))


@bp.get("/healthz")
@public
def health() -> tuple[dict[str, str], int]:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}, 200
