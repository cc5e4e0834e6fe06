"""Exponential back-off as the kubelet uses for CrashLoopBackOff and ImagePullBackOff."""

from __future__ import annotations

import dataclasses
import os


@dataclasses.dataclass(frozen=True)
class BackoffPolicy:
    """Delays start at `initial` seconds, double each time, and stop growing at `cap`."""

    initial: float = 10.0
    cap: float = 20.0
    # A container that ran this long without failing gets its back-off reset.
    reset_after: float = 60.0

    def delay(self, failures: int) -> float:
        """Return the wait before the next attempt after `failures` consecutive failures."""
        if failures <= 0:
            return 0.0
        return float(min(self.cap, self.initial * 2 ** (failures - 1)))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> BackoffPolicy:
        """Read SANDBOX_BACKOFF_INITIAL / SANDBOX_BACKOFF_CAP (seconds), e.g. for fast tests."""
        env = os.environ if environ is None else environ
        default = cls()
        try:
            initial = float(env.get("SANDBOX_BACKOFF_INITIAL", default.initial))
            cap = float(env.get("SANDBOX_BACKOFF_CAP", default.cap))
        except ValueError as exc:
            raise ValueError(
                f"SANDBOX_BACKOFF_INITIAL/SANDBOX_BACKOFF_CAP must be numbers of seconds: {exc}"
            ) from exc
        if initial < 0 or cap < initial:
            raise ValueError(
                "SANDBOX_BACKOFF_* need 0 <= SANDBOX_BACKOFF_INITIAL <= SANDBOX_BACKOFF_CAP"
            )
        return cls(initial=initial, cap=cap, reset_after=max(default.reset_after, 2 * cap))
