"""Money, quantities, units and field validation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.money import fmt_money, fmt_quantity, parse_money, parse_quantity
from app.units import IncompatibleUnits, convert, price_unit
from app.validation import ValidationError, date, integer, month, text, validate


@pytest.mark.parametrize(
    ("raw", "cents"),
    [("12.50", 1250), ("0", 0), (3, 300), ("0.01", 1), (" 7.5 ", 750), (2.25, 225)],
)
def test_parse_money_accepts_amounts_with_at_most_two_decimals(raw: object, cents: int) -> None:
    assert parse_money(raw) == cents


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("1.005", "at most 2 decimal places"),
        ("-1", "must not be negative"),
        ("abc", "is not a number"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        (True, "number written as a string"),
        (None, "number written as a string"),
        ("1e12", "at most"),
        ("9" * 40, "too long"),
    ],
)
def test_parse_money_rejects_bad_amounts(raw: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_money(raw)


def test_quantities_must_be_positive_with_three_decimals_at_most() -> None:
    assert parse_quantity("0.125") == Decimal("0.125")
    assert fmt_quantity(parse_quantity("500.000")) == "500"
    with pytest.raises(ValueError, match="greater than zero"):
        parse_quantity("0")
    with pytest.raises(ValueError, match="3 decimal places"):
        parse_quantity("0.0001")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(Decimal("0.005"), "0.01"), (Decimal("0.0049"), "0.00"), (Decimal("2.675"), "2.68")],
)
def test_rounding_is_half_up_to_cents(amount: Decimal, shown: str) -> None:
    assert fmt_money(amount) == shown
    assert fmt_money(Fraction(amount)) == shown
    assert fmt_money(-amount) == (f"-{shown}" if shown != "0.00" else shown)


def test_fmt_money_takes_cents_or_exact_amounts() -> None:
    assert fmt_money(1250) == "12.50"
    assert fmt_money(-5) == "-0.05"
    assert fmt_money(Decimal("1.5")) == "1.50"
    assert fmt_money(Fraction(-4999, 100)) == "-49.99"


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_whole_cents_format_exactly_however_given(cents: int) -> None:
    shown = fmt_money(cents)
    assert Decimal(shown) * 100 == cents
    assert fmt_money(Fraction(cents, 100)) == fmt_money(Decimal(cents) / 100) == shown


@pytest.mark.parametrize(
    ("qty", "src", "dst", "expected"),
    [("1.5", "kg", "g", "1500"), ("250", "ml", "l", "0.25"), ("3", "pcs", "pcs", "3")],
)
def test_convert_between_compatible_units(qty: str, src: str, dst: str, expected: str) -> None:
    assert convert(Decimal(qty), src, dst) == Decimal(expected)


def test_convert_refuses_mass_to_volume() -> None:
    with pytest.raises(IncompatibleUnits, match=r"g \(mass\) cannot be converted to l \(volume\)"):
        convert(Decimal(1), "g", "l")


def test_unit_prices_are_quoted_per_kg_l_or_piece() -> None:
    assert [price_unit(u) for u in ("g", "kg", "ml", "l", "pcs")] == ["kg", "kg", "l", "l", "pcs"]


def test_validate_reports_every_problem_by_field() -> None:
    spec = {"when": (date, True), "month": (month, False)}
    with pytest.raises(ValidationError) as info:
        validate({"when": "2025-02-30", "month": "2025-13", "extra": 1}, spec)
    assert info.value.fields == {
        "extra": "unknown field",
        "when": "must be a date like 2025-01-31",
        "month": "must be a month like 2025-01",
    }
    with pytest.raises(ValidationError, match="JSON object"):
        validate([1], spec)
    assert validate({}, spec, partial=True) == {}


@pytest.mark.parametrize(
    ("parser", "raw", "problem"),
    [
        (parse_money, "1e2", "written with digits"),
        (parse_money, "+5", "written with digits"),
        (parse_money, ".5", "written with digits"),
        (parse_money, "1_000", "written with digits"),
        (parse_quantity, "\uff15", "written with digits"),  # a fullwidth 5
        (parse_money, " " * 31 + "12", "too long"),  # the limit counts what was sent
        (month, "\uff12\uff10\uff12\uff15-01", "a month like"),
        (month, "2025-01\n", "a month like"),
        (date, "2025-W01-1", "a date like"),  # an ISO week date Python would read
        (integer(1, 10), "\u00b2", "whole number"),  # a superscript 2: a digit to isdigit()
        (text(5), "  abcd", "at most 5"),
    ],
)
def test_numbers_dates_and_text_are_read_the_way_the_api_describes(
    parser: Callable[[object], object], raw: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        parser(raw)


def test_padding_is_ascii_whitespace_and_is_trimmed() -> None:
    assert parse_money("\t7.50 \n") == 750
    assert integer(1, 10)(" 7 ") == 7
    assert text(10)(" Rice\r\n") == "Rice"
    assert text(10)("\u3000Rice") == "\u3000Rice"  # not ASCII: kept as typed
