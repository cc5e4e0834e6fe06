"""A small in-process limit on failed logins per username and client address."""

from __future__ import annotations

import threading
import time
from collections import deque


class LoginRateLimiter:
    """Allow at most `limit` failed attempts per key within `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        """Start with no recorded failures."""
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        """The failures for key still inside the window."""
        stamps = self._failures.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return stamps

    def blocked(self, key: str) -> int:
        """Seconds to wait before key may try again (0 when allowed)."""
        now = time.monotonic()
        with self._lock:
            stamps = self._recent(key, now)
            if len(stamps) < self.limit:
                return 0
            return max(1, int(stamps[0] + self.window - now) + 1)

    def failed(self, key: str) -> None:
        """Record a failed attempt."""
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())
            if len(self._failures) > 10000:
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, key: str) -> None:
        """Forget the failures of key."""
        with self._lock:
            self._failures.pop(key, None)
