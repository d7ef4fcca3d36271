"""Grant rounds: the grant officer's pages to open and run a round, and the published rounds
as organisations read them."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("grant_rounds", __name__)
