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
from release_support import Api
from reliability_support import ON_POD, PodKiller, sandbox_only, spec_history
from test_reliability_crash import CASES, Matrix, compare, prepared, run_all, vacuum_due

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CALM = "calm-"  # the uninterrupted Releases: calm-<scenario key>


class NeverKilled:
    """The Killer's operator for the uninterrupted run: it only watches the steps go by."""

    def kill(self) -> None:
        """Nothing."""

    def start(self) -> None:
        """Nothing."""


NEVER_KILLED: Any = NeverKilled()


def test_a_killed_operator_pod_ends_every_step_as_an_uninterrupted_run(
    release_api: Api, in_cluster: Any
) -> None:
    if in_cluster is None:
        pytest.skip("kills the in-cluster operator's pod: --sandbox-runtime docker (make test)")
    api = release_api
    sandbox_only(api.cluster)
    calm = {f"{CALM}{s.key}": s for s in CASES.values()}
    matrix = Matrix(
        {f"pod-{phase.value.lower()}": s for phase, s in CASES.items()},
        {f"pod-{phase.value.lower()}": phase.value for phase in CASES},
    )
    with spec_history(api) as specs:
        # First without a kill (the kills would reach them too): each seen in a step of its
        # scenario, then settled.
        prepared(api, calm)
        steps: dict[str, str] = {}
        for phase, scenario in CASES.items():
            steps.setdefault(f"{CALM}{scenario.key}", phase.value)
        run_all(api, NEVER_KILLED, calm, steps)
        matrix.run(api, PodKiller(in_cluster))
        in_cluster.status_set_by_tests |= {
            name
            for name, scenario in {**calm, **matrix.killed}.items()
            if scenario.change is vacuum_due
        }  # the vacuum's anchor set back
        specs.catch_up()
        side = (api, specs)
        failures = [compare(side, side, run, ON_POD, CALM) for run in matrix.runs()]
    api.kubectl("delete", "releases", "--all", "--timeout=120s")
    failed = [failure for failure in failures if failure]
    assert not failed, "\n".join(failed)
