"""Applications to the grant pool: the organisation's drafts, budget, attachments and
submission with its receipt."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("grant_applications", __name__)
