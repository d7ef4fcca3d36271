"""The public directory of approved organisations that chose to be listed."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("directory", __name__)
