"""The reconcile loop's timing: wake-ups on events, requeue delays, spec parsing."""

from __future__ import annotations

import asyncio
import time

from gitops.loop import Wakeups
from gitops.release.reconcile import next_delay, parse_spec
from gitops.release.spec import SpecError
from gitops.runtime import Runtime
from gitops.settings import Settings

SETTINGS = Settings.from_env({"OPERATOR_IMAGE": "op:1", "POLL_SECONDS": "0.5"})


def runtime() -> Runtime:
    """A runtime without an API client (next_delay only reads the settings)."""
    return Runtime(kube=None, settings=SETTINGS)  # type: ignore[arg-type]


def test_delay_follows_the_plan_capped_by_poll_while_active_and_resync_when_idle() -> None:
    assert next_delay(runtime(), 2.0, active=True) == 0.5
    assert next_delay(runtime(), 0.1, active=True) == 0.1
    assert next_delay(runtime(), 60.0, active=False) == SETTINGS.resync_seconds
    assert next_delay(runtime(), None, active=False) == SETTINGS.resync_seconds
    assert next_delay(runtime(), None, active=True) == 0.5


async def poked_wait(wakeups: Wakeups, poke_first: bool) -> float:
    """How long a wait of up to 5 s lasts when poked after 0.1 s (or before it starts)."""
    key = ("ns", "shop")
    if poke_first:
        await wakeups.wait(key, 0.01)  # creates the key's event
        wakeups.poke(key)
    else:
        asyncio.get_running_loop().call_later(0.1, wakeups.poke, key)
    started = time.monotonic()
    await wakeups.wait(key, 5.0)
    return time.monotonic() - started


def test_a_poke_ends_the_wait_and_is_not_lost_when_it_comes_first() -> None:
    assert asyncio.run(poked_wait(Wakeups(), poke_first=False)) < 2.0
    assert asyncio.run(poked_wait(Wakeups(), poke_first=True)) < 2.0


def test_a_poke_for_an_unknown_release_is_ignored() -> None:
    Wakeups().poke(("ns", "nobody"))


def test_parse_spec_returns_the_error_naming_the_field() -> None:
    release = {"metadata": {"name": "shop", "generation": 2}, "spec": {"image": "x:1"}}
    error = parse_spec(release)
    assert isinstance(error, SpecError)
    assert error.field.startswith("spec.")
