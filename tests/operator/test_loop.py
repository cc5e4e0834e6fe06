"""The reconcile loop both controllers run: requeue, wake-ups, and retries with back-off."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
from gitops.kube import KubeError
from gitops.loop import Backoff, Loop, Wakeups, run_loop
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY

KEY = ("releases", "ns", "shop")


@given(st.integers(1, 60), st.floats(0.01, 5), st.floats(1, 600), st.integers(0, 2**32))
def test_backoff_doubles_up_to_the_cap_and_jitter_only_shortens_it(
    failures: int, first: float, cap: float, seed: int
) -> None:
    backoff = Backoff(first=first, cap=cap, jitter=0.2, rng=random.Random(seed))
    full = min(first * 2.0 ** min(failures - 1, 30), cap)
    assert 0.8 * full <= backoff.delay(failures) <= full


def test_backoff_without_jitter_is_exact() -> None:
    backoff = Backoff(first=1.0, cap=30.0, jitter=0.0)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


class Script:
    """A reconcile that plays a list of answers (a delay, or an error to raise), then waits."""

    def __init__(self, *answers: float | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.done = asyncio.Event()

    async def __call__(self) -> float:
        self.calls += 1
        if not self.answers:
            self.done.set()
            return 3600.0
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def play(script: Script, wakeups: Wakeups, poke_after: int = 0) -> Script:
    """Run the loop until the script has played out, poking once after that many calls."""
    loop = Loop(KEY, wakeups, Backoff(first=0.001, cap=0.001))
    task = asyncio.create_task(run_loop(loop, script))
    if poke_after:
        while script.calls < poke_after:
            await asyncio.sleep(0.01)
        wakeups.poke(KEY)
    await asyncio.wait_for(script.done.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return script


def _errors(kind: str) -> float:
    """The reconcile error counter for an exception type."""
    return REGISTRY.get_sample_value("gitops_reconcile_errors_total", {"kind": kind}) or 0.0


def test_failed_reconciles_are_retried_counted_and_bugs_logged_with_their_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api, bugs = _errors("KubeError"), _errors("KeyError")
    script = Script(KubeError(503, "ServiceUnavailable", "down"), KeyError("rollout"), 0.0)
    with caplog.at_level(logging.WARNING, logger="gitops.loop"):
        asyncio.run(play(script, Wakeups()))
    assert script.calls == 4  # two failures, one requeue at once, then the long wait
    assert (_errors("KubeError"), _errors("KeyError")) == (api + 1, bugs + 1)
    retried = [r for r in caplog.records if "releases/ns/shop" in r.getMessage()]
    assert [r.exc_info is not None for r in retried] == [False, True]
    assert "503 ServiceUnavailable" in retried[0].getMessage()


def test_a_poke_ends_a_long_requeue_wait() -> None:
    script = asyncio.run(play(Script(3600.0), Wakeups(), poke_after=1))
    assert script.calls == 2


def test_the_loop_forgets_its_wakeup_when_cancelled() -> None:
    wakeups = Wakeups()
    asyncio.run(play(Script(), wakeups))
    assert KEY not in wakeups._events
