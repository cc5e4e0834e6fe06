"""The crash matrix of the Release: the operator SIGKILLed in every step of the plan.

The steps are the keys of the plan's STEPS, so a new step fails
`test_every_step_of_the_plan_has_a_kill_case` until it has a case here. Every case runs twice:
in one namespace whose operator is killed (and started again) each time a Release is in its
case's step, and in another whose operator is left alone (a case whose step went by uncaught,
as a short one may while the operator of an earlier kill starts again, runs once more, alone).
The two must end the same: final phase and reason, images, every spec the Deployment went
through (a watch sees each generation: nothing applied twice or half), the snapshot files, the
Jobs (none twice) and the rows of the app's database. Claims are read on the sandbox's host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from backup_support import ask_backup
from gitops.api import RESTORE_ANNOTATION
from gitops.release.plan import STEPS
from gitops.release.state import Phase
from release_app import answers, seed_users, version_of
from release_objects import (
    CRASH,
    GOOD,
    GOOD_NEXT,
    GROUP,
    MIGRATION_FAILS,
    PLURAL,
    VERSION,
    node_port_service,
    release_object,
)
from release_objects import claim as claim_object
from release_support import Api, Operator, wait_for
from reliability_support import (
    History,
    Outcome,
    lost_rows,
    namespace_operator,
    phases,
    release_rows,
    sandbox_only,
    settled,
    spec_history,
)
from support.reliability import record

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NO_PREFLIGHT = {"enabled": False}
# Long timeouts: a dozen apps start at once on a loaded machine, and a timeout must not decide
# an outcome; the failing image crashes at start, so the rollback does not wait for them.
READINESS = {"timeoutSeconds": 90, "maxRestarts": 1, "bakeSeconds": 1}
PREFLIGHT = {"timeoutSeconds": 90}
BACKUP = {"schedule": "0 3 1 1 *", "verifySchedule": "", "vacuum": "0 3 1 1 *"}
LONG_AGO = "2000-01-01T00:00:00Z"  # an anchor a yearly slot has passed since


def nothing(api: Api, name: str) -> None:
    """No preparation."""


def release_image(image: str) -> Callable[[Api, str], None]:
    """The change that starts a rollout of `image`."""
    return lambda api, name: api.patch_release(name, {"spec": {"image": image}})


def back_up(api: Api, name: str) -> None:
    """A backup taken now, for the restore to take up."""
    ask_backup(api, name, "crash")


def restore_latest(api: Api, name: str) -> None:
    """Ask for the latest copy to be restored."""
    api.patch_release(name, {"metadata": {"annotations": {RESTORE_ANNOTATION: "latest"}}})


def vacuum_anchors(api: Api, name: str) -> dict[str, str]:
    """status.backup.anchors: when each schedule was last run or first seen."""
    return dict((api.status(name).get("backup") or {}).get("anchors") or {})


def vacuum_seen(api: Api, name: str) -> None:
    """Wait until the operator has anchored spec.backup.vacuum (first seen now)."""
    wait_for(lambda: vacuum_anchors(api, name).get("vacuum"), 30, f"{name}'s vacuum anchor")


def vacuum_due(api: Api, name: str) -> None:
    """Make spec.backup.vacuum due now: its anchor set back, as after a year without one."""

    def due() -> bool:
        if vacuum_anchors(api, name).get("vacuum") == LONG_AGO or api.status(name).get("rollout"):
            return True
        patch = {"status": {"backup": {"anchors": {"vacuum": LONG_AGO}}}}
        api.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, api.ns, PLURAL, name, patch
        )
        return False

    wait_for(due, 30, f"the vacuum schedule of {name} being due")


@dataclass(frozen=True)
class Scenario:
    """One release run: the spec, what prepares and what starts it, the phase it ends in."""

    key: str
    change: Callable[[Api, str], None]
    end: str
    spec: dict[str, Any] = field(default_factory=dict)
    prepare: Callable[[Api, str], None] = nothing


ROLLBACK = Scenario(
    "rb",
    release_image(CRASH),
    "RolledBack",
    {"preflight": NO_PREFLIGHT, "rollback": {"restoreDatabase": "Always"}},
)
CASES: dict[Phase, Scenario] = {
    Phase.SNAPSHOTTING: ROLLBACK,
    Phase.PREFLIGHT: Scenario(
        "pf", release_image(MIGRATION_FAILS), "Failed", {"preflight": PREFLIGHT}
    ),
    Phase.ROLLING_OUT: ROLLBACK,
    Phase.BAKING: Scenario(
        "bk",
        release_image(GOOD_NEXT),
        "Ready",
        {"preflight": NO_PREFLIGHT, "readiness": {**READINESS, "bakeSeconds": 4}},
    ),
    Phase.ROLLING_BACK: ROLLBACK,
    Phase.RESTORING: Scenario("rs", restore_latest, "Ready", {"backup": BACKUP}, back_up),
    Phase.VACUUMING: Scenario("vc", vacuum_due, "Ready", {"backup": BACKUP}, vacuum_seen),
}


def test_every_step_of_the_plan_has_a_kill_case() -> None:
    missing = [phase.value for phase in STEPS if phase not in CASES]
    assert not missing, f"steps of the Release plan without a kill case in CASES: {missing}"


def create(api: Api, names: dict[str, Scenario]) -> dict[str, str]:
    """Create the Releases at once, wait until each serves; their URLs."""
    objects: list[dict[str, Any]] = []
    for name, scenario in names.items():
        spec = {"readiness": READINESS, **scenario.spec}
        objects += [claim_object(f"{name}-data"), node_port_service(name)]
        objects.append(release_object(name, GOOD, **spec))
    applied = api.apply(*objects)
    assert applied.returncode == 0, applied.stderr
    urls = {}
    for name in names:
        api.wait_phase(name, "Ready", timeout=90)
        urls[name] = api.cluster.node_url(api.node_port(name))
        wait_for(lambda url=urls[name]: answers(f"{url}/version"), 30, f"{name} serving")
    return urls


class Killer:
    """SIGKILLs the operator whenever a Release is in its target phase (once per Release) and
    starts it again, from a thread of its own; `caught` says what each kill found ('' when the
    Release was still in its phase once the operator was dead)."""

    def __init__(self, api: Api, operator: Operator, targets: dict[str, str]) -> None:
        self.api, self.operator, self.targets = api, operator, targets
        self.caught: dict[str, str] = {}
        self.baseline: dict[str, int] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Killer:
        self.baseline = {n: self.api.status(n).get("rolloutCount", 0) for n in self.targets}
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join(30)

    def wait(self, timeout: float) -> None:
        """Until every Release was caught or ended without it."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"kills still due after {timeout}s: {self.caught}"

    def _missed(self, name: str) -> bool:
        """True when the Release's run ended before it was caught in its step."""
        status = settled(self.api, name)
        return bool(status) and status.get("rolloutCount", 0) > self.baseline[name]

    def _run(self) -> None:
        pending = dict(self.targets)
        while pending and not self.stopped.is_set():
            now = phases(self.api)
            due = [n for n, p in pending.items() if now.get(n) == p]
            if not due:
                for name in [n for n in pending if self._missed(n)]:
                    self.caught[name] = f"ended before it was caught in {pending.pop(name)}"
                time.sleep(0.02)
                continue
            self.operator.kill()
            held = phases(self.api)
            for name in due:
                phase = pending.pop(name)
                self.caught[name] = "" if held.get(name) == phase else f"moved on to {held[name]}"
            self.operator.start()


def prepared(api: Api, group: dict[str, Scenario]) -> tuple[dict[str, str], dict[str, Any]]:
    """The Releases created and serving, users seeded, each prepared: (URLs, rows before)."""
    urls, before = create(api, group), {}
    for name, scenario in group.items():
        seed_users(urls[name], 2)
        scenario.prepare(api, name)
        before[name] = release_rows(api, name)
    return urls, before


def run_all(
    api: Api, operator: Any, group: dict[str, Scenario], targets: dict[str, str]
) -> dict[str, str]:
    """Start each Release's change with the Killer watching for its step; wait until every
    one settled; what each kill found (`Killer.caught`)."""
    with Killer(api, operator, targets) as killer:
        for name, scenario in group.items():
            scenario.change(api, name)
        killer.wait(300)
    for name in group:
        wait_for(lambda n=name: settled(api, n), 180, f"{name} settling")
    return dict(killer.caught)


@dataclass
class Matrix:
    """The killed Releases of a run: scenario, step, what each kill found, URLs, rows before."""

    killed: dict[str, Scenario]
    targets: dict[str, str]
    caught: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)

    def run(self, api: Api, operator: Any) -> None:
        """Every case at once, then each whose step went by uncaught (a short step may pass
        while the operator of an earlier kill starts again) once more, alone, on a Release of
        its own."""
        self.urls, self.before = prepared(api, self.killed)
        self.caught = run_all(api, operator, self.killed, self.targets)
        for name in [n for n in list(self.killed) if self.caught.get(n) != ""]:
            again, scenario = f"{name}-again", self.killed.pop(name)
            self.targets[again] = self.targets.pop(name)
            self.killed[again] = scenario
            urls, before = prepared(api, {again: scenario})
            self.urls |= urls
            self.before |= before
            self.caught |= run_all(api, operator, {again: scenario}, {again: self.targets[again]})

    def runs(self) -> list[Run]:
        """One Run per killed Release, to compare."""
        return [
            Run(name, self.targets[name], scenario, self.before[name], self.urls[name],
                self.caught.get(name))
            for name, scenario in self.killed.items()
        ]  # fmt: skip


def test_a_killed_operator_ends_every_step_as_an_uninterrupted_one(
    cluster: Any, tmp_path: Path
) -> None:
    sandbox_only(cluster)
    scenarios = {s.key: s for s in CASES.values()}
    matrix = Matrix(
        {f"k-{phase.value.lower()}": s for phase, s in CASES.items()},
        {f"k-{phase.value.lower()}": phase.value for phase in CASES},
    )
    with (
        namespace_operator(cluster, tmp_path, "crash-killed") as (killed, operator),
        namespace_operator(cluster, tmp_path, "crash-calm") as (calm, _),
        spec_history(killed) as killed_specs,
        spec_history(calm) as calm_specs,
    ):
        prepared(calm, scenarios)
        for name, scenario in scenarios.items():
            scenario.change(calm, name)
        matrix.run(killed, operator)
        for name in scenarios:
            wait_for(lambda n=name: settled(calm, n), 180, f"{name} settling")
        killed_specs.catch_up()
        calm_specs.catch_up()
        sides = ((killed, killed_specs), (calm, calm_specs))
        failures = [f for run in matrix.runs() if (f := compare(*sides, run))]
        assert not failures, "\n".join(failures)


@dataclass(frozen=True)
class Run:
    """One killed Release: its step, scenario, the rows it had and where it serves."""

    name: str
    step: str
    scenario: Scenario
    before: dict[str, int]
    url: str
    caught: str | None  # '' when killed in its step, else what happened


Side = tuple[Api, History]


def compare(
    killed_side: Side, calm_side: Side, run: Run, where: str = "", calm_prefix: str = ""
) -> str:
    """Record how the killed Release ended beside the uninterrupted one (named calm_prefix and
    its scenario's key); '' when the same. `where` tells the records what was killed when it
    was not an operator process."""
    step, scenario, killed = run.step, run.scenario, killed_side[0]
    mine = Outcome.of(killed, run.name, killed_side[1])
    theirs = Outcome.of(calm_side[0], calm_prefix + scenario.key, calm_side[1])
    serving = (version_of(run.url) or {}).get("image")
    problems = [run.caught or "never caught in its step"] if run.caught != "" else []
    problems += mine.differences(theirs)
    if mine.phase != scenario.end or serving != mine.image:
        message = killed.status(run.name).get("message", "")
        problems.append(f"ended {mine.phase} ({message}) serving {serving}, not {scenario.end}")
    if len(set(mine.jobs)) != len(mine.jobs):
        problems.append(f"a Job twice: {mine.jobs}")
    lost = lost_rows(run.before, mine.rows)
    detail = "; ".join(problems) or (
        f"{mine.phase} serving {serving}, {len(mine.jobs)} Jobs, "
        f"{len(mine.snapshots)} snapshot files, as uninterrupted"
    )
    record("crash", controller=f"Release{where}", step=step, survived=not problems, detail=detail)
    record("rows", case=f"operator killed in {step}{where}", lost=lost)
    return f"{step}: {detail}; {lost} rows lost" if problems or lost else ""
