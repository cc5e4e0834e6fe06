"""Fault injection: error answers at a rate, added latency, dropped watch streams."""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from sandbox.apiserver.errors import APIError

REASONS = {
    409: ("Conflict", "injected fault: conflict"),
    429: ("TooManyRequests", "injected fault: too many requests, please try again later"),
    500: ("InternalError", "injected fault: internal error"),
    503: ("ServiceUnavailable", "injected fault: service unavailable"),
}


@dataclass
class Faults:
    """The current fault settings; `POST /sandbox/faults` replaces them."""

    rate: float = 0.0
    codes: list[int] = field(default_factory=lambda: [500, 503, 409, 429])
    latency_ms: int = 0
    drop_watch_after: float | None = None
    methods: list[str] = field(default_factory=list)

    def update(self, data: Any) -> None:
        """Validate and apply a JSON settings object (missing keys reset to defaults)."""
        if not isinstance(data, dict):
            raise ValueError("the faults body must be a JSON object")
        unknown = set(data) - {"rate", "codes", "latency_ms", "drop_watch_after", "methods"}
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        fresh = Faults()
        rate = float(data.get("rate", fresh.rate))
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        codes = [int(c) for c in data.get("codes", fresh.codes)]
        bad = [c for c in codes if c not in REASONS]
        if bad or not codes:
            raise ValueError(f"codes must be a non-empty subset of {sorted(REASONS)}")
        drop = data.get("drop_watch_after")
        self.rate, self.codes = rate, codes
        self.latency_ms = max(0, int(data.get("latency_ms", 0)))
        self.drop_watch_after = float(drop) if drop else None
        self.methods = [str(m).upper() for m in data.get("methods", [])]

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON."""
        return asdict(self)

    async def before(self, request: web.Request) -> None:
        """Delay and maybe fail one API request."""
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        if self.methods and request.method not in self.methods:
            return
        if self.rate and random.random() < self.rate:  # noqa: S311
            code = random.choice(self.codes)  # noqa: S311
            reason, message = REASONS[code]
            headers = {"Retry-After": "1"} if code in (429, 503) else {}
            raise APIError(code, reason, message, headers=headers)


def parse_codes(text: str) -> list[int]:
    """Parse `--fault-codes 500,503` with a clear error."""
    try:
        codes = [int(c) for c in text.split(",") if c.strip()]
    except ValueError:
        raise ValueError(f"--fault-codes must be comma-separated numbers, got {text!r}") from None
    bad = [c for c in codes if c not in REASONS]
    if bad or not codes:
        raise ValueError(f"--fault-codes must be among {sorted(REASONS)}, got {text!r}")
    return codes
