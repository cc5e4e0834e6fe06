"""Twenty release-and-rollback runs and twenty syncs, all at once, while the API server fails
a tenth of every request (500, 503, 409, 429), drops every watch stream after two seconds and
answers each request late: every one must end where it would without the faults.

A run releases an image that cannot be pulled onto a serving Release: it must end RolledBack,
the previous image serving, the failed one recorded. A sync applies its GitSync's first commit
and then a second one: it must end with the second applied and every object holding its value.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gitops.api import GROUP, SYNC_REQUEST_ANNOTATION, VERSION
from kubernetes import client
from release_objects import MISSING, SERVES_500, claim, release_object
from release_support import Api, wait_for
from reliability_support import (
    DATABASE,
    claim_dir,
    count_rows,
    lost_rows,
    namespace_operator,
    release_rows,
    sandbox_only,
    set_faults,
    settled,
)
from support.git import GitRemote
from support.operator_process import install_crds
from support.reliability import record

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
RUNS = 20
FAULTS = {
    "rate": 0.1,
    "codes": [500, 503, 409, 429],
    "drop_watch_after": 2,
    "latency_ms": 20,
}
# The serving version is the light purpose-built server (ready at once, /version names it; it
# never opens the database): the runs are about the operator, twenty at once on two cores.
# The claim gets a SQLite file of its own, so each run takes a real snapshot first.
# RollingUpdate: the serving pod stays while the new one fails.
SERVING = SERVES_500
BAD = MISSING  # in no catalog: its pull fails at once, so the rollback waits for no crash loop
SPEC = {
    "strategy": "RollingUpdate",
    "preflight": {"enabled": False},
    "rollback": {"restoreDatabase": "Never"},
    "readiness": {"timeoutSeconds": 120, "maxRestarts": 1, "bakeSeconds": 1},
}


def overlay(run: int, value: str) -> dict[str, str]:
    """The overlay `s<run>/`: two ConfigMaps holding the value."""
    return {
        f"s{run}/kustomization.yaml": f"namePrefix: s{run}-\nresources:\n  - a.yaml\n  - b.yaml\n",
        **{
            f"s{run}/{part}.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {part}\n"
            f"data:\n  value: '{value}'\n"
            for part in ("a", "b")
        },
    }


@pytest.fixture
def faulty(cluster: Any) -> Iterator[None]:
    """Clears the faults however the test ends."""
    yield
    set_faults(cluster)


def sync_outcome(api: Api, run: int, commit: str) -> str:
    """'' once sync `run` applied the commit and both objects hold its value, else why not."""
    found = api.custom.get_namespaced_custom_object(GROUP, VERSION, api.ns, "gitsyncs", f"s{run}")
    status = found.get("status") or {}
    if status.get("lastAppliedCommit") != commit:
        return f"last applied {status.get('lastAppliedCommit')}, not {commit[:12]}"
    values = [
        (api.core.read_namespaced_config_map(f"s{run}-{part}", api.ns).data or {}).get("value")
        for part in ("a", "b")
    ]
    return "" if values == ["2", "2"] else f"values {values}"


def release_outcome(api: Api, name: str) -> str:
    """'' once the run ended RolledBack with the previous image serving, else why not."""
    status, serving = api.status(name), api.deployment_image(name)
    snapshot = (status.get("lastSnapshot") or {}).get("image")
    ended = (status.get("phase"), status.get("image"), status.get("failedImage"), serving, snapshot)
    want = ("RolledBack", SERVING, BAD, SERVING, SERVING)
    return "" if ended == want else f"ended {ended}, not {want}"


def seed_database(api: Api, name: str) -> dict[str, int]:
    """A SQLite database on the Release's claim for its snapshots; its rows."""
    folder = claim_dir(api, f"{name}-data")
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(folder / DATABASE)) as db, db:
        db.execute("CREATE TABLE recipe (id INTEGER PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO recipe (name) VALUES (?)", [(f"r{n}",) for n in range(50)])
    return count_rows(folder / DATABASE)


def deploy_runs(api: Api, names: list[str]) -> dict[str, dict[str, int]]:
    """The Releases created at once and Ready; the rows of each one's database."""
    # The claims first: their folders are named after their uids.
    assert api.apply(*(claim(f"{name}-data") for name in names)).returncode == 0
    rows = {name: seed_database(api, name) for name in names}
    assert api.apply(*(release_object(name, SERVING, **SPEC) for name in names)).returncode == 0
    for name in names:
        api.wait_phase(name, "Ready", timeout=120)
    return rows


def sync_all(api: Api, remote: GitRemote, value: str, *, create: bool) -> str:
    """Commit the value into every overlay, create the GitSyncs or ask each for a sync, and
    wait until every one applied the commit; the commit."""
    commit = remote.commit({k: v for n in range(RUNS) for k, v in overlay(n, value).items()})
    start = created if create else requested
    for run in range(RUNS):
        wait_for(lambda r=run: start(api, r, remote.url), 10, f"GitSync s{run} started")
    for run in range(RUNS):
        wait_for(lambda r=run: at_commit(api, r, commit), 120, f"s{run} applying {commit}")
    return commit


@pytest.mark.usefixtures("faulty")
@pytest.mark.timeout(900)  # 40 runs through the faults: about 4 minutes, more on a loaded machine
def test_runs_and_syncs_converge_through_api_faults(cluster: Any, tmp_path: Path) -> None:
    sandbox_only(cluster)
    install_crds(cluster.kubeconfig)
    remote = GitRemote(tmp_path / "git")
    env = {"WORK_DIR": str(tmp_path / "work"), "SYNC_RETRY_SECONDS": "0.5"}
    env["SYNC_RETRY_MAX_SECONDS"] = "2"
    with namespace_operator(cluster, tmp_path, "faults", env) as (api, _):
        names = [f"run-{n:02}" for n in range(RUNS)]
        rows = deploy_runs(api, names)
        set_faults(cluster, **FAULTS)
        for name in names:
            wait_for(lambda n=name: patched(api, n), 10, f"{name} patched")
        sync_all(api, remote, "1", create=True)
        second = sync_all(api, remote, "2", create=False)
        for name in names:
            wait_for(lambda n=name: through(lambda: settled(api, n)), 180, f"{name} settling")
        set_faults(cluster)
        problems = []
        for n, name in enumerate(names):
            why = release_outcome(api, name)
            record("faults", kind="release", run=n, converged=not why, outcome=why or "RolledBack")
            lost = lost_rows(rows[name], release_rows(api, name))
            record("rows", case=f"release and rollback through API faults, run {n}", lost=lost)
            problems += [f"{name}: {why}"] if why else []
            problems += [f"{name}: {lost} rows lost"] if lost else []
        for run in range(RUNS):
            why = sync_outcome(api, run, second)
            record("faults", kind="sync", run=run, converged=not why, outcome=why or "Synced")
            problems += [f"s{run}: {why}"] if why else []
        assert not problems, "\n".join(problems)


def through(probe: Callable[[], Any]) -> Any:
    """The probe's answer, or None when an injected fault answered instead."""
    try:
        return probe()
    except (client.ApiException, OSError):
        return None


def at_commit(api: Api, run: int, commit: str) -> bool:
    """True once GitSync s<run> applied the commit."""
    found = through(
        lambda: api.custom.get_namespaced_custom_object(
            GROUP, VERSION, api.ns, "gitsyncs", f"s{run}"
        )
    )
    return bool(found) and (found.get("status") or {}).get("lastAppliedCommit") == commit


def attempt(call: Any) -> bool:
    """True when the call got through the injected faults."""
    try:
        call()
    except (client.ApiException, OSError):
        return False
    return True


def patched(api: Api, name: str) -> bool:
    """Release `name` set to the image that cannot be pulled."""
    return attempt(lambda: api.patch_release(name, {"spec": {"image": BAD}}))


def created(api: Api, run: int, url: str) -> bool:
    """GitSync s<run> created (or already there after a create whose answer was lost)."""
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync",
            "metadata": {"name": f"s{run}"},
            "spec": {"url": url, "path": f"s{run}", "interval": "1h"}}  # fmt: skip

    def create() -> None:
        try:
            api.custom.create_namespaced_custom_object(GROUP, VERSION, api.ns, "gitsyncs", body)
        except client.ApiException as error:
            if error.status != 409 or "already exists" not in str(error.body):
                raise

    return attempt(create)


def requested(api: Api, run: int, url: str) -> bool:  # noqa: ARG001  as created
    """A sync of GitSync s<run> asked for."""
    patch = {"metadata": {"annotations": {SYNC_REQUEST_ANNOTATION: uuid.uuid4().hex}}}
    return attempt(
        lambda: api.custom.patch_namespaced_custom_object(
            GROUP, VERSION, api.ns, "gitsyncs", f"s{run}", patch
        )
    )
