"""Reviews: assigning applications to the round's reviewers, the reviewer's own pages, the officer's score table."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("grant_reviews", __name__, url_prefix="/tilskud")
