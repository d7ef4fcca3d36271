"""CVR numbers: eight digits with the modulus-11 check (weights 2, 7, 6, 5, 4, 3, 2, 1)."""

from __future__ import annotations

WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def normalise_cvr(raw: str) -> str:
    """Digits only: people write "DK-12 34 56 78" or "12345678"."""
    text = raw.strip().upper().removeprefix("DK").strip(" -")
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def is_valid_cvr(raw: str) -> bool:
    cvr = normalise_cvr(raw)
    if len(cvr) != 8 or not cvr.isascii() or not cvr.isdigit() or cvr[0] == "0":
        return False
    return sum(int(d) * w for d, w in zip(cvr, WEIGHTS, strict=True)) % 11 == 0
