"""The volunteer's side: prove identity from the link, give the CPR number, sign, see receipts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("signing", __name__)
