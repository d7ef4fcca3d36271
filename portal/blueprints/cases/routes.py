"""The area office's side of onboarding: the queue of organisations and the case page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cases", __name__)
