"""Object metadata rules: names, timestamps, Go `omitempty` output."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from typing import Any

from sandbox.apiserver.errors import bad_request, cause

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"

SECOND_TIMES = {
    "creationTimestamp",
    "deletionTimestamp",
    "lastTransitionTime",
    "lastUpdateTime",
    "lastProbeTime",
    "lastHeartbeatTime",
    "startTime",
    "completionTime",
    "startedAt",
    "finishedAt",
    "firstTimestamp",
    "lastTimestamp",
    "lastScheduleTime",
    "lastSuccessfulTime",
    "deprecatedFirstTimestamp",
    "deprecatedLastTimestamp",
}
MICRO_TIMES = {"eventTime", "lastObservedTime", "renewTime", "acquireTime"}


def now() -> dt.datetime:
    """The current UTC time."""
    return dt.datetime.now(dt.UTC)


def rfc3339(when: dt.datetime) -> str:
    """Whole-second RFC 3339 with `Z`, as `metav1.Time` serialises."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro(when: dt.datetime) -> str:
    """Microsecond RFC 3339 with `Z`, as `metav1.MicroTime` serialises."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str) -> dt.datetime:
    """Parse an RFC 3339 timestamp (with `Z` or an offset, any fraction)."""
    text = value.strip().replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", text)
    if match and match.group(2):
        text = match.group(1) + match.group(2)[:7].ljust(7, "0") + match.group(3)
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return parsed


def normalize_times(node: Any, path: str = "") -> None:
    """Rewrite known timestamp fields of a built-in object as the API server returns them."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            normalize_times(item, f"{path}[{index}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if isinstance(value, str) and (key in SECOND_TIMES or key in MICRO_TIMES):
            try:
                parsed = parse_time(value)
            except ValueError:
                raise bad_request(
                    f'{path}.{key}: cannot parse "{value}" as an RFC 3339 time'.lstrip(".")
                ) from None
            node[key] = micro(parsed) if key in MICRO_TIMES else rfc3339(parsed)
        else:
            normalize_times(value, f"{path}.{key}")


def drop_nulls(node: Any) -> Any:
    """Remove null values recursively, as a Go struct round trip does."""
    if isinstance(node, dict):
        return {k: drop_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [drop_nulls(v) for v in node]
    return node


_META_EMPTY = (
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "managedFields",
    "generateName",
    "namespace",
    "generation",
)


def omit_empty_meta(meta: dict[str, Any]) -> None:
    """Drop empty `omitempty` metadata fields."""
    for key in _META_EMPTY:
        if key in meta and meta[key] in ({}, [], "", 0):
            del meta[key]


def generate_name(prefix: str) -> str:
    """`generateName` plus five random characters."""
    return prefix + "".join(random.choice(_NAME_CHARS) for _ in range(5))  # noqa: S311


def new_uid() -> str:
    """A fresh object uid."""
    return str(uuid.uuid4())


def subdomain_name(name: str) -> list[dict[str, str]]:
    """Causes for a `metadata.name` that is no RFC 1123 subdomain (most kinds)."""
    return _name_causes(name, _SUBDOMAIN, 253, "RFC 1123 subdomain")


def label_name(name: str) -> list[dict[str, str]]:
    """Causes for a `metadata.name` that is no RFC 1123 label (Namespaces)."""
    return _name_causes(name, _LABEL, 63, "RFC 1123 label")


def dns1035_name(name: str) -> list[dict[str, str]]:
    """Causes for a `metadata.name` that is no DNS-1035 label (Services)."""
    return _name_causes(name, _LABEL_1035, 63, "DNS-1035 label")


def _name_causes(
    name: str, pattern: re.Pattern[str], limit: int, what: str
) -> list[dict[str, str]]:
    if len(name) <= limit and pattern.match(name):
        return []
    message = (
        f'Invalid value: "{name}": a lowercase {what} must consist of lower case alphanumeric '
        f"characters, '-' or '.', and must start and end with an alphanumeric character "
        f"(at most {limit} characters)"
    )
    return [cause("metadata.name", "FieldValueInvalid", message)]


def label_causes(meta: dict[str, Any]) -> list[dict[str, str]]:
    """Validation causes for label values and keys."""
    causes = []
    for key, value in (meta.get("labels") or {}).items():
        if (
            not isinstance(value, str)
            or len(value) > 63
            or (value and not re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", value))
        ):
            message = (
                f'Invalid value: "{value}": a valid label must be an empty string or consist of '
                "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character"
            )
            causes.append(cause("metadata.labels", "FieldValueInvalid", message))
        if not re.match(r"^([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", key):
            message = f'Invalid value: "{key}": name part must consist of alphanumeric characters'
            causes.append(cause("metadata.labels", "FieldValueInvalid", message))
    return causes


def cause_required_name() -> dict[str, str]:
    """The cause for a create without name or generateName."""
    return cause(
        "metadata.name", "FieldValueRequired", "Required value: name or generateName is required"
    )


def path_segment_name(name: str) -> list[dict[str, str]]:
    """Causes for a `metadata.name` that cannot be one URL path segment (RBAC objects)."""
    if name in (".", ".."):
        why = f"may not be '{name}'"
    elif "/" in name or "%" in name:
        why = f"may not contain '{'/' if '/' in name else '%'}'"
    else:
        return []
    return [{"reason": "FieldValueInvalid", "message": f'Invalid value: "{name}": {why}',
             "field": "metadata.name"}]  # fmt: skip
