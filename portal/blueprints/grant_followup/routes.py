"""After the grant: payments, change requests, reports, vouchers and closing."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("grant_followup", __name__, url_prefix="/tilskud")
