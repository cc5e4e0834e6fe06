"""Exact money and quantity handling with Decimal; rounding half-up to cents only at the edge."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

# the padding input may have around it: ASCII whitespace (the API's description says the same)
SPACES = " \t\n\x0b\x0c\r"
DIGITS = re.compile(r"[0-9]+(\.[0-9]+)?")  # how a number is written: 12.50, 3, 0.125
MAX_MONEY = Decimal("1000000000")
MAX_QUANTITY = Decimal("1000000000")


def parse_decimal(value: object, *, places: int | None, maximum: Decimal) -> Decimal:
    """Parse a JSON/form value into a finite Decimal within (0 or more, maximum], or ValueError.

    A string is digits with an optional decimal point (padding aside); JSON numbers are
    taken as they are.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('must be a number written as a string, e.g. "12.50"')
    if len(str(value)) > 32:
        raise ValueError("is too long")
    text = str(value).strip(SPACES)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"is not a number: {text!r}") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    if number < 0:
        raise ValueError("must not be negative")
    if number > maximum:
        raise ValueError(f"must be at most {maximum}")
    if isinstance(value, str) and not DIGITS.fullmatch(text):
        raise ValueError(f"must be written with digits and a decimal point, like 12.50: {text!r}")
    if places is not None and number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"must have at most {places} decimal places")
    return number


def parse_money(value: object) -> int:
    """Parse an amount of money into whole cents."""
    return int(parse_decimal(value, places=2, maximum=MAX_MONEY) * 100)


def parse_quantity(value: object) -> Decimal:
    """Parse a strictly positive quantity with up to 3 decimal places."""
    number = parse_decimal(value, places=3, maximum=MAX_QUANTITY)
    if number == 0:
        raise ValueError("must be greater than zero")
    return number.normalize() if number == number.to_integral() else number


def fmt_money(amount: Fraction | Decimal | int) -> str:
    """Format money as a decimal string with two places, like 12.50 or -3.10.

    An int is whole cents; a Fraction or Decimal is an exact amount, rounded here, and only
    here, half-up (away from zero) to cents. Every page, the chart and the API use this one.
    """
    exact = Fraction(amount, 100) if isinstance(amount, int) else Fraction(amount)
    cents = int(abs(exact) * 100 + Fraction(1, 2))
    sign = "-" if exact < 0 and cents else ""
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def fmt_quantity(quantity: Decimal) -> str:
    """Format a quantity without trailing zeros or exponent, e.g. 1.5 or 500."""
    text = format(quantity, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
