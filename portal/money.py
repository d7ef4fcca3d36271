"""Money in integer øre: parsing what people type (Danish style first) and showing it.

Never floats: amounts are ``int`` øre, quantities are ``Decimal``; a line's total is rounded
half up to whole øre once, and sums are sums of those integers, so every total is øre exact.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

# Large enough for any pool, small enough to catch a typo of many zeros.
MAX_ORE = 100_000_000_000  # 1 mia. kr.


class MoneyError(ValueError):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


_SPACES = re.compile(r"[\s\u00a0]")
_SUFFIX = re.compile(r"(kr\.?|dkk)$", re.IGNORECASE)


def parse_decimal(text: str, *, places: int = 2) -> Decimal:
    """A non-negative number as people type it: ``1.234,50`` (Danish), ``1234,5``, ``1234.50``
    (a single point followed by one or two digits is a decimal point), ``1 234``, ``1.234,-``."""
    raw = _SUFFIX.sub("", _SPACES.sub("", text or "").strip()).strip()
    if not raw:
        raise MoneyError(_l("Skriv et beløb."))
    if "," in raw:
        whole, _, fraction = raw.rpartition(",")
        # The fraction is digits only (Decimal() would also take "5e3"), or "-" as in
        # "1.234,-" for whole kroner.
        if (
            "," in whole
            or not re.fullmatch(r"\d{1,3}(\.\d{3})*|\d+", whole)
            or not re.fullmatch(r"\d*|-", fraction)
        ):
            raise MoneyError(_l("Skriv tallet som fx 1.234,50."))
        number = whole.replace(".", "") + "." + fraction.strip("-")
    elif re.fullmatch(r"\d+\.\d{1,2}", raw):
        number = raw
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+|\d+", raw):
        number = raw.replace(".", "")
    else:
        raise MoneyError(_l("Skriv tallet som fx 1.234,50."))
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise MoneyError(_l("Skriv tallet som fx 1.234,50.")) from None
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        raise MoneyError(_l("Skriv højst %(places)d decimaler.", places=places))
    return value


def parse_kroner(text: str) -> int:
    """Kroner as typed, in øre; refuses more than two decimals and absurd amounts."""
    ore = int(parse_decimal(text) * 100)
    if ore > MAX_ORE:
        raise MoneyError(_l("Beløbet er for stort."))
    return ore


def line_total(units: Decimal, unit_price_ore: int) -> int:
    """units x unit price, rounded half up to whole øre."""
    return int((units * unit_price_ore).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def units_text(units: Decimal) -> str:
    """A quantity as people type it: ``12,5`` (not ``12,50``), ``10`` (not ``1E+1``)."""
    return format(Decimal(units).normalize(), "f").replace(".", ",")


def kroner(ore: int | None) -> str:
    """``1.234,50 kr.`` in Danish (``1,234.50 kr.`` in English), formatted for the reader."""
    if ore is None:
        return ""
    return format_decimal(Decimal(ore) / 100, "#,##0.00") + " kr."


def kroner_input(ore: int | None) -> str:
    """The value to put back in a form field (Danish style, no unit)."""
    if ore is None:
        return ""
    sign = "-" if ore < 0 else ""
    whole, fraction = divmod(abs(ore), 100)
    grouped = f"{whole:,}".replace(",", ".")
    return sign + (grouped if not fraction else f"{grouped},{fraction:02d}")
