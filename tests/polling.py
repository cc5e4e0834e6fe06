"""Waiting on a condition with a deadline, for the tests and benchmarks that drive a cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None], timeout: float = 15, what: str = "it", interval: float = 0.05
) -> T:
    """Poll probe until it returns something truthy, or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(interval)
