"""The order a distributed run hands its tests out in: the long modules first, spread.

pytest-xdist's worksteal scheduler gives each worker a contiguous share of the collection and
lets an idle worker take the end of another's queue. A module that takes minutes starts wherever
it falls in its share, often late, and the whole run then waits for it. So every distributed run
records how long each module took (the setup, call and teardown of its tests, as the workers
report them) in a file outside the clone, and the next run's workers put the modules that took
at least LONG_SECONDS at the head of the shares: the longest first, each to the share with the
least such work so far. Everything else keeps its collection order. Only the order changes:
the same tests run, and without the file (a first run) the order is the one collected.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
LONG_SECONDS = 30.0  # a module at least this long goes to the head of a share


def durations_file() -> Path:
    """Where the runs keep their modules' durations: beside the engine's cache, outside the
    clone, so that a fresh clone finds what the last run measured."""
    root = os.environ.get("MYFOODBUDGET_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "myfoodbudget"
    )
    return Path(root) / "test-durations.json"


def load(path: Path) -> dict[str, float]:
    """Seconds by module, as recorded ({} when there is no readable record)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): float(v) for k, v in found.items() if isinstance(v, int | float)}


def save(path: Path, measured: Mapping[str, float]) -> None:
    """Add this run's modules to the record (a module not run keeps its last figure)."""
    merged = {**load(path), **{k: round(v, 1) for k, v in measured.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)


def shares(total: int, workers: int) -> list[int]:
    """How many tests each worker gets first: worksteal divides the collection so."""
    sizes, remaining = [], total
    for index in range(workers):
        size = remaining // (workers - index)
        sizes.append(size)
        remaining -= size
    return sizes


def arrange(
    modules: Sequence[tuple[str, Sequence[T]]], seconds: Mapping[str, float], workers: int
) -> list[T]:
    """The tests of `modules` (in collection order) reordered: the long ones at the heads of
    the workers' shares, longest first to the least loaded share, the rest as collected."""
    long = sorted(
        (module for module in modules if seconds.get(module[0], 0.0) >= LONG_SECONDS),
        key=lambda module: -seconds[module[0]],
    )
    if not long or workers < 2:
        return [item for _, items in modules for item in items]
    heads: list[list[T]] = [[] for _ in range(workers)]
    load_of = [0.0] * workers
    for name, items in long:
        share = min(range(workers), key=lambda index: load_of[index])
        heads[share].extend(items)
        load_of[share] += seconds[name]
    names = {name for name, _ in long}
    rest = [item for name, items in modules if name not in names for item in items]
    order: list[T] = []
    for share, size in enumerate(shares(sum(len(items) for _, items in modules), workers)):
        take = max(size - len(heads[share]), 0)
        order += heads[share] + rest[:take]
        rest = rest[take:]
    return order + rest


def module_of(nodeid: str) -> str:
    """The module part of a test id."""
    return nodeid.split("::", 1)[0]


class Measured:
    """The plugin of the run's controller: hands the last durations to the workers, adds up
    this run's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last = load(path)
        self.measured: dict[str, float] = {}

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Every worker orders its collection from the same figures (xdist's hook)."""
        node.workerinput[WORKERINPUT] = self.last

    def pytest_report_header(self) -> str:
        """Say what the order comes from."""
        long = sum(1 for value in self.last.values() if value >= LONG_SECONDS)
        if not long:
            return f"test order: as collected (no durations in {self.path} yet)"
        return f"test order: {long} modules of {LONG_SECONDS:.0f}s or more first ({self.path})"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Add each phase of each test to its module's time."""
        module = module_of(report.nodeid)
        self.measured[module] = self.measured.get(module, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        """Keep what this run measured for the next one."""
        if self.measured:
            with contextlib.suppress(OSError):  # only the next run's order depends on it
                save(self.path, self.measured)


class Ordered:
    """The plugin of a worker: the long modules first."""

    def __init__(self, seconds: Mapping[str, float], workers: int) -> None:
        self.seconds, self.workers = seconds, workers

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        """Reorder the collection (every worker alike, as xdist requires)."""
        modules: dict[str, list[Any]] = {}
        for item in items:
            modules.setdefault(module_of(item.nodeid), []).append(item)
        items[:] = arrange(list(modules.items()), self.seconds, self.workers)


WORKERINPUT = "myfoodbudget_module_seconds"


def register(config: pytest.Config) -> None:
    """Plug the schedule into a run spread over worksteal workers: its controller measures
    and hands out, its workers reorder; any other run is left as it is."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        if WORKERINPUT in workerinput:
            plugin: object = Ordered(workerinput[WORKERINPUT], workerinput["workercount"])
            config.pluginmanager.register(plugin, "myfoodbudget-schedule")
        return
    if getattr(config.option, "dist", "") == "worksteal" and config.option.numprocesses:
        config.pluginmanager.register(Measured(durations_file()), "myfoodbudget-schedule")
