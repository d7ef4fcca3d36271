"""The organisation's side of volunteers: register, import, invite, prepare, follow their status."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("volunteers", __name__, url_prefix="/frivillige")
