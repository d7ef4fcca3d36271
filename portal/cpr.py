"""CPR numbers: validation of their form, encryption at rest, masking.

A CPR number is accepted when it has 10 digits and its first six are a real date (the 7th
digit decides the century); the modulus-11 check is not required, since numbers without it
have been issued since 2007. It is stored only encrypted (AES-256-GCM, the volunteer's id as
associated data, so a ciphertext copied to another row does not decrypt), and never shown
except masked, or unmasked on the caseworker's audited reveal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_babel import lazy_gettext as _l

MASKED = "••••••-••••"
_FORMAT_VERSION = b"\x01"


class CprError(ValueError):
    """A CPR number that cannot be right, with a message for the person who typed it."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def _century(year: int, seventh: int) -> int:
    # The Danish CPR office's table: the 7th digit and the two-digit year give the century.
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if year <= 36 else 1900
    return 2000 if year <= 57 else 1800


def normalise(raw: str) -> str:
    """The 10 digits of a CPR number typed as ``DDMMÅÅ-XXXX`` or ``DDMMÅÅXXXX``.

    Raises CprError with a message in the user's language.
    """
    digits = "".join(ch for ch in raw if ch not in " -")
    if not digits:
        raise CprError(_l("Skriv dit CPR-nummer."))
    if not digits.isascii() or not digits.isdigit() or len(digits) != 10:
        raise CprError(_l("Et CPR-nummer har 10 cifre, fx 010190-1234."))
    try:
        birth_date(digits)
    except ValueError:
        raise CprError(
            _l("De første 6 cifre skal være en rigtig dato (dag, måned, år), fx 010190.")
        ) from None
    return digits


def birth_date(cpr: str) -> date:
    """The date of birth in a (normalised) CPR number; ValueError if it is not a date."""
    day, month, year = int(cpr[0:2]), int(cpr[2:4]), int(cpr[4:6])
    return date(_century(year, int(cpr[6])) + year, month, day)


def formatted(cpr: str) -> str:
    return f"{cpr[:6]}-{cpr[6:]}"


def _key(setting: str, purpose: bytes) -> bytes:
    configured = current_app.config["PORTAL"][setting]
    if configured:
        return base64.b64decode(configured)
    # Development and tests: derived from the secret key, so nothing has to be set up.
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def _aead() -> AESGCM:
    key = _key("CPR_KEY", b"portal cpr encryption")
    if len(key) != 32:
        raise RuntimeError("PORTAL_CPR_KEY must be 32 bytes (base64)")
    return AESGCM(key)


def encrypt(cpr: str, owner_id: uuid.UUID) -> bytes:
    """Version byte, 12-byte nonce, then the AES-GCM ciphertext of the digits."""
    nonce = os.urandom(12)
    return _FORMAT_VERSION + nonce + _aead().encrypt(nonce, cpr.encode(), owner_id.bytes)


def decrypt(blob: bytes, owner_id: uuid.UUID) -> str:
    """The digits; raises CprError if the ciphertext was altered or belongs to another row."""
    if blob[:1] != _FORMAT_VERSION:
        raise CprError("unknown CPR ciphertext format")
    try:
        return _aead().decrypt(blob[1:13], blob[13:], owner_id.bytes).decode()
    except InvalidTag:
        raise CprError("the CPR ciphertext does not verify") from None


def evidence_key() -> bytes:
    """The key of the HMAC that seals signature evidence (PORTAL_EVIDENCE_KEY)."""
    key = _key("EVIDENCE_KEY", b"portal signature evidence")
    if len(key) < 32:
        raise RuntimeError("PORTAL_EVIDENCE_KEY must be at least 32 bytes (base64)")
    return key
