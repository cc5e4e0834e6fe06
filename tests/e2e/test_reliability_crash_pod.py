"""The Release's crash matrix on the container runtime: the operator's pod killed in every step.

The docker runtime's operator is the one installed from manifests/ (one for the session, in its
pod, under its ServiceAccount). Each step's case of `test_reliability_crash.CASES` runs twice in
its namespace: first uninterrupted (one Release per scenario), then once per step with the
operator's pod deleted at once (grace 0: its container SIGKILLed, and the Deployment starts
another) each time the Release is in that step (a step that went by while the operator of
another kill was starting again runs once more, alone). Both runs must end the same, as with
operator processes: final phase, images, every spec the Deployment went through, the snapshot
files, the Jobs (none twice), the database's rows.
"""

from __future__ import annotations

from typing import Any

import pytest
from release_app import seed_users
from release_support import Api, wait_for
from reliability_support import release_rows, sandbox_only, settled, spec_history
from test_reliability_crash import CASES, Killer, Run, Scenario, compare, create, vacuum_due

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
WHERE = " (operator pod, docker runtime)"
CALM = "calm-"  # the uninterrupted Releases: calm-<scenario key>


class NeverKilled:
    """The Killer's operator for the uninterrupted run: it only watches the steps go by."""

    def kill(self) -> None:
        """Nothing."""

    def start(self) -> None:
        """Nothing."""


NEVER_KILLED: Any = NeverKilled()


class PodKiller:
    """The Killer's operator: the in-cluster one, back as soon as its new container runs."""

    def __init__(self, operator: Any) -> None:
        self.operator = operator

    def kill(self) -> None:
        """Delete its pod with grace 0."""
        self.operator.kill()

    def start(self) -> None:
        """Wait for the new pod's container (not its readiness probe)."""
        self.operator.start(ready=False)


def test_a_killed_operator_pod_ends_every_step_as_an_uninterrupted_run(
    release_api: Api, in_cluster: Any
) -> None:
    if in_cluster is None:
        pytest.skip("kills the in-cluster operator's pod: --sandbox-runtime docker (make test)")
    api = release_api
    sandbox_only(api.cluster)
    calm = {f"{CALM}{s.key}": s for s in CASES.values()}
    killed = {f"pod-{phase.value.lower()}": s for phase, s in CASES.items()}
    targets = {f"pod-{phase.value.lower()}": phase.value for phase in CASES}
    operator = PodKiller(in_cluster)
    with spec_history(api) as specs:
        urls, before = prepared(api, {**calm, **killed})
        # First without a kill (the kills would reach them too): each seen in a step of its
        # scenario, then settled.
        steps: dict[str, str] = {}
        for phase, scenario in CASES.items():
            steps.setdefault(f"{CALM}{scenario.key}", phase.value)
        run_all(api, NEVER_KILLED, calm, steps)
        caught = run_all(api, operator, killed, targets)
        # A short step may go by while the operator of an earlier kill starts again: each such
        # case once more, alone, on a Release of its own.
        for name in [n for n in killed if caught.get(n) != ""]:
            again, scenario = f"{name}-again", killed.pop(name)
            targets[again] = targets.pop(name)
            killed[again] = scenario
            more_urls, more_rows = prepared(api, {again: scenario})
            urls, before = {**urls, **more_urls}, {**before, **more_rows}
            caught |= run_all(api, operator, {again: scenario}, {again: targets[again]})
        in_cluster.status_set_by_tests |= {
            name for name, scenario in {**calm, **killed}.items() if scenario.change is vacuum_due
        }  # the vacuum's anchor set back
        specs.catch_up()
        side = (api, specs)
        failures = [
            compare(side, side, Run(name, targets[name], scenario, before[name], urls[name],
                                    caught.get(name)), WHERE, CALM)
            for name, scenario in killed.items()
        ]  # fmt: skip
    api.kubectl("delete", "releases", "--all", "--timeout=120s")
    failed = [failure for failure in failures if failure]
    assert not failed, "\n".join(failed)


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
