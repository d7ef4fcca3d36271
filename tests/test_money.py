"""Money as people type it and as they read it: integer øre in, integer øre out, never a
float; a budget line's total rounded half up to whole øre exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import force_locale

from portal.money import (
    MAX_ORE,
    MoneyError,
    kroner,
    kroner_input,
    line_total,
    parse_decimal,
    parse_kroner,
    units_text,
)


@pytest.mark.parametrize(
    ("typed", "ore"),
    [
        ("1.234,50", 123_450),
        ("1234,50", 123_450),
        ("1234,5", 123_450),
        ("1234.50", 123_450),  # a point followed by one or two digits is a decimal point
        ("1234.5", 123_450),
        ("1.234", 123_400),  # three digits after a point: thousands
        ("1.234.567", 123_456_700),
        ("1.234.567,89", 123_456_789),
        ("1 234", 123_400),
        ("1\u00a0234,05", 123_405),
        ("400.000 kr.", 40_000_000),
        ("400000 kr", 40_000_000),
        ("12 DKK", 1_200),
        ("  7 ", 700),
        ("0", 0),
        ("0,01", 1),
        ("0,1", 10),
        ("1234,", 123_400),
        ("1.234,-", 123_400),  # whole kroner, as on a Danish price tag
        ("250,- kr.", 25_000),
        ("5.500.000", 550_000_000),
        ("1.000.000.000", MAX_ORE),  # exactly the ceiling
    ],
)
def test_parse_kroner(typed: str, ore: int) -> None:
    result = parse_kroner(typed)
    assert result == ore
    assert type(result) is int


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "kr.",
        "-5",
        "1,2,3",
        "12.34.5",  # neither decimals nor thousands
        "1.23,45",  # a misplaced thousands point
        "12,5e3",  # Decimal() would read this as 12500
        "12,5E-1",
        "1,NaN",
        "NaN",
        "Infinity",
        "1e3",
        "abc",
        "12,50,",
        "12,-5",
        "12,--",
        "1,234",  # three decimals (a Danish reader of "1,234" means one and a bit)
        "0,001",
        "1.000.000.000,01",  # one øre above the ceiling
        "99999999999999999999999999999999999",
    ],
)
def test_parse_kroner_refuses(typed: str) -> None:
    with pytest.raises(MoneyError):
        parse_kroner(typed)


def test_parse_decimal_keeps_decimals_exact() -> None:
    assert parse_decimal("8.250,5") == Decimal("8250.5")
    assert parse_decimal("0,25") == Decimal("0.25")
    assert isinstance(parse_decimal("3"), Decimal)
    assert parse_decimal("1,125", places=3) == Decimal("1.125")
    with pytest.raises(MoneyError):
        parse_decimal("1,125")


def test_error_messages_are_lazy_danish_text(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(MoneyError) as caught:
        parse_kroner("1,2,3")
    with app.test_request_context():
        assert "1.234,50" in str(caught.value.message)
    with app.test_request_context(), pytest.raises(MoneyError) as too_many:
        parse_kroner("1,234")
    with app.test_request_context():
        assert "2 decimaler" in str(too_many.value.message)


@pytest.mark.parametrize(
    ("units", "unit_price_ore", "total"),
    [
        ("1", 100, 100),
        ("0", 123_456, 0),
        ("2.5", 3, 8),  # 7.5 øre: half up
        ("2.5", 1, 3),  # 2.5 øre: half up, not to even
        ("0.5", 1, 1),
        ("0.49", 1, 0),
        ("0.01", 49, 0),  # 0.49 øre
        ("0.01", 50, 1),  # 0.50 øre
        ("1.5", 33_333, 50_000),  # 49 999.5 øre
        ("8250.5", 379, 3_126_940),  # 3 126 939.5 øre: km at 3,79 kr.
        ("0.1", 3, 0),  # 0.3 øre; 0.1 is not exact as a float, but this is Decimal
        ("0.3", 5, 2),  # 1.5 øre
        ("9999999999.99", MAX_ORE, 999_999_999_999_000_000_000),
    ],
)
def test_line_total_rounds_half_up_to_whole_ore(
    units: str, unit_price_ore: int, total: int
) -> None:
    result = line_total(Decimal(units), unit_price_ore)
    assert result == total
    assert type(result) is int


def test_line_total_is_not_float_arithmetic() -> None:
    # As floats 1.15 x 100 is 114.99999999999999, which rounds to 114.
    assert line_total(Decimal("1.15"), 100) == 115
    assert line_total(Decimal("1.005"), 1_000) == 1_005
    assert round(1.15 * 100) == 115 and int(1.15 * 100) == 114  # why floats are never used


@pytest.mark.parametrize(
    ("ore", "shown"),
    [
        (0, "0,00 kr."),
        (1, "0,01 kr."),
        (123_450, "1.234,50 kr."),
        (550_000_000, "5.500.000,00 kr."),
        (-150, "-1,50 kr."),
    ],
)
def test_kroner_in_danish(app: Flask, ore: int, shown: str) -> None:
    with app.test_request_context(), force_locale("da"):
        assert kroner(ore).replace("\u2212", "-") == shown


def test_kroner_in_english(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        assert kroner(123_450) == "1,234.50 kr."


def test_kroner_of_nothing_is_empty() -> None:
    assert kroner(None) == ""
    assert kroner_input(None) == ""


@pytest.mark.parametrize(
    ("ore", "typed"),
    [
        (0, "0"),
        (5, "0,05"),
        (123_400, "1.234"),
        (123_450, "1.234,50"),
        (550_000_000, "5.500.000"),
        (-150, "-1,50"),
        (-15_000, "-150"),
    ],
)
def test_kroner_input(ore: int, typed: str) -> None:
    assert kroner_input(ore) == typed


@pytest.mark.parametrize("ore", [0, 1, 99, 100, 123_456, 40_000_000, 1_000_001, MAX_ORE])
def test_kroner_input_reads_back(ore: int) -> None:
    """What is put back in a field is read back to the same øre."""
    assert parse_kroner(kroner_input(ore)) == ore


@pytest.mark.parametrize(
    ("units", "text"),
    [("12.50", "12,5"), ("10", "10"), ("10.00", "10"), ("0.25", "0,25"), ("0", "0")],
)
def test_units_read_as_they_are_typed(units: str, text: str) -> None:
    assert units_text(Decimal(units)) == text
