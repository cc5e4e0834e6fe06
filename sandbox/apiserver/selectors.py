"""Label and field selectors, parsed as the API server does."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox.apiserver.errors import bad_request

Predicate = Callable[[dict[str, Any]], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t for t in terms if t.strip()]


def _label_term(term: str) -> Callable[[dict[str, str]], bool]:
    match = _EQ_RE.match(term)
    if match:
        key, op, value = match.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    match = _SET_RE.match(term)
    if not match:
        raise bad_request(f"unable to parse requirement: invalid label selector {term!r}")
    negate, key, op, values = match.groups()
    if op:
        choices = {v.strip() for v in values.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in choices
        return lambda labels: labels.get(key) not in choices
    if negate:
        return lambda labels: key not in labels
    return lambda labels: key in labels


def label_selector(text: str | None) -> Predicate:
    """A predicate on objects for a `labelSelector` query value."""
    if not text:
        return lambda _obj: True
    terms = [_label_term(t) for t in _split_terms(text)]
    return lambda obj: all(t(obj["metadata"].get("labels") or {}) for t in terms)


def match_label_selector(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Whether labels match a `metav1.LabelSelector` object (matchLabels/matchExpressions)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        ok = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(op, False)
        if not ok:
            return False
    return True


def field_value(obj: dict[str, Any], path: str) -> str:
    """The string value of a dotted field path, "" when missing (as the API compares it)."""
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_selector(text: str | None, allowed: set[str] | None = None) -> Predicate:
    """A predicate on objects for a `fieldSelector` query value."""
    if not text:
        return lambda _obj: True
    checks: list[tuple[str, str, str]] = []
    for term in _split_terms(text):
        match = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$", term)
        if not match:
            raise bad_request(f"invalid field selector: {term!r}")
        path, op, value = match.groups()
        if allowed is not None and path not in allowed:
            raise bad_request(
                f"field label not supported: {path} (supported: {', '.join(sorted(allowed))})"
            )
        checks.append((path, op, value))

    def predicate(obj: dict[str, Any]) -> bool:
        for path, op, value in checks:
            equal = field_value(obj, path) == value
            if equal == (op == "!="):
                return False
        return True

    return predicate
