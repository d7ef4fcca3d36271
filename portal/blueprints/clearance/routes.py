"""The area office's side of volunteers: the register-check queue, outcomes and access."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("clearance", __name__, url_prefix="/tjek")
