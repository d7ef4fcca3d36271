"""CPR numbers: the form (10 digits, a real date, the century from the 7th digit; no modulus 11),
and encryption at rest bound to the volunteer's id."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask

from portal import cpr


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("010190-1234", "0101901234"),
        ("0101901234", "0101901234"),
        (" 010190 1234 ", "0101901234"),
        ("01 01 90-12 34", "0101901234"),
        # Fails the old modulus-11 check; numbers like it have been issued since 2007.
        ("010190-1235", "0101901235"),
    ],
)
def test_valid_forms(ctx: None, typed: str, digits: str) -> None:
    assert cpr.normalise(typed) == digits


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Skriv dit CPR-nummer"),
        ("   ", "Skriv dit CPR-nummer"),
        ("010190-123", "10 cifre"),
        ("010190-12345", "10 cifre"),
        ("01019O-1234", "10 cifre"),  # the letter O
        ("０１０１９０１２３４", "10 cifre"),  # full-width digits
        ("010190/1234", "10 cifre"),
        ("320190-1234", "rigtig dato"),
        ("011390-1234", "rigtig dato"),
        ("000190-1234", "rigtig dato"),
        ("290201-1234", "rigtig dato"),  # 1901 was not a leap year
        ("290200-1234", "rigtig dato"),  # nor was 1900
    ],
)
def test_bad_forms_are_refused_with_a_clear_message(ctx: None, typed: str, message: str) -> None:
    with pytest.raises(cpr.CprError) as raised:
        cpr.normalise(typed)
    assert message in str(raised.value.message)


@pytest.mark.parametrize(
    ("digits", "born"),
    [
        ("0101901234", date(1990, 1, 1)),  # 7th digit 0-3: 1900-1999
        ("3112993999", date(1999, 12, 31)),
        ("0101364000", date(2036, 1, 1)),  # 4 or 9: 2000-2036 ...
        ("0101374000", date(1937, 1, 1)),  # ... else 1937-1999
        ("0101059000", date(2005, 1, 1)),
        ("0101379000", date(1937, 1, 1)),
        ("0101575000", date(2057, 1, 1)),  # 5-8: 2000-2057 ...
        ("0101588000", date(1858, 1, 1)),  # ... else 1858-1899
        ("2902004000", date(2000, 2, 29)),  # 2000 was a leap year
    ],
)
def test_century_rules(digits: str, born: date) -> None:
    assert cpr.birth_date(digits) == born


def test_formatted() -> None:
    assert cpr.formatted("0101901234") == "010190-1234"


def test_encrypt_decrypt_round_trip(ctx: None) -> None:
    owner = uuid.uuid4()
    first = cpr.encrypt("0101901234", owner)
    second = cpr.encrypt("0101901234", owner)
    assert b"0101901234" not in first
    assert first != second  # a new nonce each time
    assert cpr.decrypt(first, owner) == cpr.decrypt(second, owner) == "0101901234"


def test_a_tampered_ciphertext_is_refused(ctx: None) -> None:
    owner = uuid.uuid4()
    blob = bytearray(cpr.encrypt("0101901234", owner))
    for index in (5, len(blob) - 1):  # the nonce, and the tag
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(cpr.CprError):
            cpr.decrypt(bytes(tampered), owner)
    with pytest.raises(cpr.CprError):
        cpr.decrypt(b"\x02" + bytes(blob[1:]), owner)  # an unknown format version


def test_a_ciphertext_copied_to_another_volunteer_does_not_decrypt(ctx: None) -> None:
    blob = cpr.encrypt("0101901234", uuid.uuid4())
    with pytest.raises(cpr.CprError):
        cpr.decrypt(blob, uuid.uuid4())


def test_masked_shows_no_digit() -> None:
    assert not any(ch.isdigit() for ch in cpr.MASKED)
