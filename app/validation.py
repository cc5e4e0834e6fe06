"""Validate request bodies and forms against small field specs; errors are per field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from app.money import SPACES, parse_money, parse_quantity
from app.units import UNITS

Parser = Callable[[Any], Any]
MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WHOLE_RE = re.compile(r"[0-9]+")


class ValidationError(ValueError):
    """Some fields are invalid; fields maps each to what is wrong with it."""

    def __init__(self, fields: dict[str, str], message: str = "some fields are invalid") -> None:
        """Keep the per-field problems."""
        super().__init__(message)
        self.fields = fields
        self.message = message


def utf8(value: str) -> str:
    """Reject strings that cannot be stored as UTF-8 (lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def text(max_len: int, *, required: bool = True) -> Parser:
    """A string of at most max_len characters, padding stripped (non-blank when required)."""

    def parse(value: Any) -> str:
        """Check and strip one string."""
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if len(value) > max_len:
            raise ValueError(f"must be at most {max_len} characters")
        stripped = utf8(value).strip(SPACES)
        if required and not stripped:
            raise ValueError("must not be empty")
        return stripped

    return parse


def integer(low: int, high: int) -> Parser:
    """A whole number between low and high (strings of digits accepted from forms)."""

    def parse(value: Any) -> int:
        """Check one whole number."""
        if isinstance(value, str) and WHOLE_RE.fullmatch(value.strip(SPACES)):
            value = int(value.strip(SPACES))
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return parse


def choice(options: tuple[str, ...]) -> Parser:
    """One of a fixed set of strings."""

    def parse(value: Any) -> str:
        """Check one option."""
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return parse


def date(value: Any) -> str:
    """An ISO date YYYY-MM-DD."""
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        raise ValueError("must be a date like 2025-01-31")
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError("must be a date like 2025-01-31") from None


def month(value: Any) -> str:
    """A month YYYY-MM."""
    match = MONTH_RE.fullmatch(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ValueError("must be a month like 2025-01")
    return str(value)


def money(value: Any) -> int:
    """An amount of money with at most 2 decimals, as whole cents."""
    return parse_money(value)


unit = choice(tuple(UNITS))
quantity = parse_quantity


def validate(
    data: Any, spec: Mapping[str, tuple[Parser, bool]], *, partial: bool = False
) -> dict[str, Any]:
    """Check data against spec {field: (parser, required)}; unknown fields are errors."""
    if not isinstance(data, Mapping):
        raise ValidationError({}, "the body must be a JSON object")
    problems: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in data:
        if name not in spec:
            problems[str(name)[:64]] = "unknown field"
    for name, (parser, required) in spec.items():
        if name not in data:
            if required and not partial:
                problems[name] = "is required"
            continue
        try:
            clean[name] = parser(data[name])
        except ValidationError as exc:
            problems.update({f"{name}{k}": v for k, v in exc.fields.items()})
        except ValueError as exc:
            problems[name] = str(exc)
    if problems:
        raise ValidationError(problems)
    return clean


FORM_EXTRA = {"csrf_token": (text(200, required=False), False)}
