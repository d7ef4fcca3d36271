"""The grant officers' assessment: screening, decisions, the round's steps, overview and CSV."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("grant_assessment", __name__, url_prefix="/tilskud")
