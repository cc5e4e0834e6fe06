"""The reconcile loop both controllers run, one per object: wake-ups, requeue, back-off.

A loop reconciles its object once, then sleeps until the requeue time the reconcile asked for
or until a watch event pokes it, whichever comes first. A reconcile that raises is retried
with an exponential back-off with jitter; the loop itself never ends until it is cancelled
(kopf cancels an object's daemon when the object goes away or the operator stops).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from urllib3.exceptions import HTTPError

from gitops import metrics
from gitops.kube import KubeError

log = logging.getLogger(__name__)
Key = tuple[str, ...]  # names one object's loop: (plural, namespace, name)
DEBOUNCE_SECONDS = 0.05
# What a cluster or a disk does now and then: the API unreachable or refusing (KubeError,
# urllib3's HTTPError), an answer that is not JSON (ValueError), a full disk or a reset
# connection (OSError). Anything else is a bug: retried the same way, but logged with its trace.
RETRYABLE: tuple[type[Exception], ...] = (KubeError, HTTPError, ValueError, OSError)


class Wakeups:
    """One asyncio.Event per object: watch events poke it, the object's loop waits on it.

    It also knows which objects' loops are running, so a deletion can wait for its loop to end.
    """

    def __init__(self) -> None:
        self._events: dict[Key, asyncio.Event] = {}
        self._running: set[Key] = set()

    def started(self, key: Key) -> None:
        """Note that the loop of this object runs (until forget)."""
        self._running.add(key)

    def running(self, key: Key) -> bool:
        """True while the loop of this object runs."""
        return key in self._running

    def poke(self, key: Key) -> None:
        """Wake the loop of this object (a no-op when it has none)."""
        event = self._events.get(key)
        if event is not None:
            event.set()

    async def wait(self, key: Key, timeout: float) -> None:
        """Sleep until poked or until timeout, then let a burst of pokes settle."""
        event = self._events.setdefault(key, asyncio.Event())
        with contextlib.suppress(TimeoutError):  # the requeue time has come: reconcile anyway
            await asyncio.wait_for(event.wait(), timeout)
        await asyncio.sleep(DEBOUNCE_SECONDS)
        event.clear()

    def forget(self, key: Key) -> None:
        """Drop the object's event when its loop ends."""
        self._events.pop(key, None)
        self._running.discard(key)


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off after failed reconciles: first, 2 x first, ... up to cap, jittered.

    The jitter takes up to `jitter` of each delay off at random, so the loops of many objects
    that failed together (an API server restart) do not all come back at the same moment.
    """

    first: float
    cap: float
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failed reconciles in a row (failures >= 1)."""
        exponent = min(max(failures - 1, 0), 30)
        full = min(self.first * 2.0**exponent, self.cap)
        return full * (1.0 - self.jitter * self.rng.random())


@dataclass(frozen=True)
class Loop:
    """What one object's loop needs besides its reconcile."""

    key: Key
    wakeups: Wakeups
    backoff: Backoff
    log_extra: Mapping[str, object] = field(default_factory=dict)


async def run_loop(loop: Loop, reconcile: Callable[[], Awaitable[float]]) -> None:
    """Reconcile until cancelled; `reconcile` returns the seconds until it wants to look again."""
    failures = 0
    loop.wakeups.started(loop.key)
    try:
        while True:
            try:
                delay = await reconcile()
                failures = 0
            except Exception as error:  # noqa: BLE001 - a failed pass is retried with back-off
                failures += 1
                delay = loop.backoff.delay(failures)
                _report(loop, error, delay)
            await loop.wakeups.wait(loop.key, delay)
    finally:
        loop.wakeups.forget(loop.key)


def _report(loop: Loop, error: Exception, delay: float) -> None:
    """Count and log a failed reconcile; an unexpected error is logged with its trace."""
    metrics.RECONCILE_ERRORS.labels(type(error).__name__).inc()
    where = "/".join(loop.key)
    extra = dict(loop.log_extra)
    if isinstance(error, RETRYABLE):
        message = "Reconcile of %s failed (%s), retrying in %.1fs"
        log.warning(message, where, error, delay, extra=extra)
    else:
        log.exception("Reconcile of %s failed, retrying in %.1fs", where, delay, extra=extra)
