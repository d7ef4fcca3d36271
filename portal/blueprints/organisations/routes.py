"""An approved organisation's own pages: profile, members and invitations, directory entry."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("organisations", __name__)
