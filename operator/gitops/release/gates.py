"""What a new version must pass, as the spec says: readiness, the bake window, the preflight,
the smoke checks (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops.release.fields import SpecError, minimum, read

PATH_RE = re.compile(r"^/[^\s]{0,2047}$")
MAX_CHECKS = 10


@dataclass(frozen=True)
class ReadinessSpec:
    """How long a new version may take to become ready, its restarts, and its bake window."""

    timeout_seconds: int = 300
    max_restarts: int = 2
    bake_seconds: int = 30  # 0: no bake window
    error_rate: float | None = None  # the 5xx ratio a bake tolerates (None: not checked)
    degraded_after_seconds: int = 60  # readiness lost this long, once serving: Degraded

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReadinessSpec:
        """Validate spec.readiness."""
        timeout = read(data, "timeoutSeconds", "spec.readiness.timeoutSeconds", int, 300)
        restarts = read(data, "maxRestarts", "spec.readiness.maxRestarts", int, 2)
        bake = read(data, "bakeSeconds", "spec.readiness.bakeSeconds", int, 30)
        field = "spec.readiness.degradedAfterSeconds"
        degraded = read(data, "degradedAfterSeconds", field, int, 60)
        return cls(
            minimum(timeout, 1, "spec.readiness.timeoutSeconds"),
            minimum(restarts, 0, "spec.readiness.maxRestarts"),
            minimum(bake, 0, "spec.readiness.bakeSeconds"),
            _ratio(data.get("errorRate"), "spec.readiness.errorRate"),
            minimum(degraded, 1, field),
        )


def _ratio(value: object, path: str) -> float | None:
    """A ratio from 0 to 1 (None when absent)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise SpecError(path, f"must be a number from 0 to 1 (0.05 is 5%), got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PreflightSpec:
    """Whether the new image first runs on a copy of the database, and for how long at most."""

    enabled: bool = True
    timeout_seconds: int = 120

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreflightSpec:
        """Validate spec.preflight."""
        timeout = read(data, "timeoutSeconds", "spec.preflight.timeoutSeconds", int, 120)
        return cls(
            read(data, "enabled", "spec.preflight.enabled", bool, True),
            minimum(timeout, 1, "spec.preflight.timeoutSeconds"),
        )


@dataclass(frozen=True)
class VerifyCheck:
    """One smoke check: GET path on a new pod answers expect_status, with expect_body in it."""

    path: str
    expect_status: int = 200
    expect_body: str = ""

    @classmethod
    def from_dict(cls, data: object, index: int) -> VerifyCheck:
        """Validate spec.verify[index]."""
        where = f"spec.verify[{index}]"
        if not isinstance(data, Mapping):
            raise SpecError(where, f"must be an object like {{path: /readyz}}, got {data!r}")
        path = read(data, "path", f"{where}.path", str, "")
        if not PATH_RE.match(path):
            raise SpecError(f"{where}.path", f"must start with / and hold no spaces, got {path!r}")
        status = read(data, "expectStatus", f"{where}.expectStatus", int, 200)
        if not 100 <= status <= 599:
            raise SpecError(f"{where}.expectStatus", f"must be an HTTP status, got {status}")
        body = read(data, "expectBody", f"{where}.expectBody", str, "")
        return cls(path, status, body)


def parse_verify(spec: Mapping[str, Any]) -> tuple[VerifyCheck, ...]:
    """Validate spec.verify (absent: no smoke checks)."""
    raw = read(spec, "verify", "spec.verify", list, [])
    if len(raw) > MAX_CHECKS:
        raise SpecError("spec.verify", f"holds at most {MAX_CHECKS} checks, got {len(raw)}")
    return tuple(VerifyCheck.from_dict(item, n) for n, item in enumerate(raw))
