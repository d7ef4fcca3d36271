"""Becoming a partner: the public start page, the registration in steps, and the case as the
organisation sees it (status, history, answering a request for more information)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("onboarding", __name__)
