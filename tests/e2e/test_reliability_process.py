"""Process faults under a Release, all at once in one namespace: the app pod killed during the
snapshot, the snapshot and the restore Jobs' pods killed as soon as they run, a snapshot
corrupted before it is restored, and the claim deleted under a serving Release.

Each must end in a clear status, with no row of the app's database lost and nothing left
half-done on the claim. The disk filling during a snapshot and during a restore is tested
under a Release whose claim is a real small tmpfs (test_reliability_disk.py), and on the Jobs'
own program (tests/operator/release/test_snapshot_stress.py and test_restore.py); all record
their cases here too.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from backup_support import ask_backup, ask_restore
from gitops.api import JOB_KIND_LABEL
from kubernetes import client
from release_app import answers, seed_users
from release_objects import CRASH, GOOD, GOOD_NEXT, GROUP, claim, node_port_service, release_object
from release_support import Api, wait_for
from reliability_support import (
    claim_dir,
    lost_rows,
    namespace_operator,
    release_rows,
    sandbox_only,
    settled,
)
from support.reliability import record

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
READINESS = {"timeoutSeconds": 90, "maxRestarts": 1, "bakeSeconds": 1}
NO_PREFLIGHT = {"enabled": False}
BACKUP = {"schedule": "0 3 1 1 *", "verifySchedule": ""}


def pods(api: Api, name: str, kind: str | None = None) -> list[Any]:
    """The Release's app pods, or the pods of its Jobs of one kind."""
    if kind is None:
        selector = f"app.kubernetes.io/instance={name},app.kubernetes.io/component=web"
    else:
        selector = f"{GROUP}/release={name},{JOB_KIND_LABEL}={kind}"
    return list(api.core.list_namespaced_pod(api.ns, label_selector=selector).items)


def kill_pods(api: Api, name: str, kind: str | None) -> int:
    """Delete (grace 0, as a SIGKILL) the pods not yet finished; how many there were."""
    found = [p for p in pods(api, name, kind) if p.status.phase in ("Pending", "Running")]
    for pod in found:
        api.core.delete_namespaced_pod(pod.metadata.name, api.ns, grace_period_seconds=0)
    return len(found)


def leftovers(api: Api, name: str) -> list[str]:
    """Half-done files on the claim: partial copies, databases being restored."""
    folder = claim_dir(api, f"{name}-data")
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.endswith((".partial", ".restoring"))
    )


def outcome(api: Api, name: str) -> str:
    """phase (reason): message, once the Release settled."""
    status = wait_for(lambda: settled(api, name), 180, f"{name} settling")
    return f"{status['phase']} ({status.get('reason')}): {status.get('message', '')}"


def app_killed_during_snapshot(api: Api, name: str) -> tuple[bool, str]:
    """RollingUpdate snapshots while the app serves: its pod killed then, the release goes on."""
    api.patch_release(name, {"spec": {"image": GOOD_NEXT}})
    api.wait_phase(name, "Snapshotting", timeout=60, interval=0.02)
    killed = kill_pods(api, name, None)
    ended = outcome(api, name)
    status = api.status(name)
    ok = killed > 0 and status["image"] == GOOD_NEXT and bool(status.get("lastSnapshot"))
    return ok, f"{killed} app pod killed; {ended}"


def snapshot_job_killed(api: Api, name: str) -> tuple[bool, str]:
    """The snapshot Job's pod killed once it runs: a snapshot taken again or a clear failure."""
    api.patch_release(name, {"spec": {"image": GOOD_NEXT}})
    wait_for(lambda: kill_pods(api, name, "snapshot"), 60, "the snapshot Job running", 0.01)
    ended = outcome(api, name)
    status = api.status(name)
    taken = status["image"] == GOOD_NEXT and bool(status.get("lastSnapshot"))
    failed = status["phase"] == "Failed" and status.get("reason") == "SnapshotFailed"
    return taken or failed, ended


def restore_job_killed(api: Api, name: str) -> tuple[bool, str]:
    """The restore Job's pod killed once it runs: rolled back, or a clear failure."""
    api.patch_release(name, {"spec": {"image": CRASH}})
    wait_for(lambda: kill_pods(api, name, "restore"), 90, "the restore Job running", 0.01)
    ended = outcome(api, name)
    status = api.status(name)
    back = status["phase"] == "RolledBack" and status["image"] == GOOD
    failed = status["phase"] == "Failed" and status.get("reason") in (
        "RestoreFailed",
        "RollbackFailed",
    )
    return back or failed, ended


def corrupt_snapshot(api: Api, name: str) -> tuple[bool, str]:
    """A backup corrupted on the claim, then asked to be restored: refused, the database kept."""
    taken = ask_backup(api, name, "corrupt")["lastBackup"]["file"]
    path = claim_dir(api, f"{name}-data") / "snapshots" / taken
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    rows = release_rows(api, name)
    restore = ask_restore(api, name, taken, None)
    untouched = release_rows(api, name) == rows
    status = api.status(name)
    refused = restore.get("outcome") == "Refused" and status.get("reason") == "RestoreFailed"
    ok = refused and untouched and status["phase"] == "Ready"
    said = restore.get("message") or status.get("message")
    ended = f"{status['phase']} ({status.get('reason')}), restore {restore.get('outcome')}"
    return ok, f"{ended}: {said}; the database {'un' if untouched else ''}touched"


def claim_deleted(api: Api, name: str) -> tuple[bool, str]:
    """The claim deleted under a serving Release: ClaimNotFound, and no claim made again."""
    deleted = api.kubectl("delete", "pvc", f"{name}-data", "--wait=false")
    assert deleted.returncode == 0, deleted.stderr
    api.patch_release(name, {"spec": {"image": GOOD_NEXT}})
    status = wait_for(
        lambda: (s := api.status(name)).get("reason") == "ClaimNotFound" and s, 60, "ClaimNotFound"
    )
    try:
        api.core.read_namespaced_persistent_volume_claim(f"{name}-data", api.ns)
        recreated = True
    except client.ApiException as error:
        recreated = error.status != 404
    ok = not recreated and status["image"] == GOOD and api.jobs(name) == []
    return ok, f"{status['phase']} ({status['reason']}): {status.get('message', '')}"


CASES: dict[str, tuple[Callable[[Api, str], tuple[bool, str]], dict[str, Any]]] = {
    "the app pod killed during the snapshot": (
        app_killed_during_snapshot,
        {"strategy": "RollingUpdate", "preflight": NO_PREFLIGHT},
    ),
    "the snapshot Job killed while it runs": (snapshot_job_killed, {"preflight": NO_PREFLIGHT}),
    "the restore Job killed while it runs": (
        restore_job_killed,
        {"preflight": NO_PREFLIGHT, "rollback": {"restoreDatabase": "Always"}},
    ),
    "a corrupt snapshot at restore time": (corrupt_snapshot, {"backup": BACKUP}),
    "the claim deleted under a running Release": (claim_deleted, {}),
}


def run_case(api: Api, name: str, case: str, url: str) -> str:
    """Run one case; record it and its rows; '' when it held, else what went wrong."""
    check, _ = CASES[case]
    before = release_rows(api, name)
    ok, status = check(api, name)
    stray = leftovers(api, name) if claim_dir(api, f"{name}-data").exists() else []
    lost = lost_rows(before, release_rows(api, name)) if "claim" not in case else 0
    serving = answers(f"{url}/version")
    ok = ok and not stray and not lost and serving
    record("process", case=case, ok=ok, status=status)
    if "claim" not in case:
        record("rows", case=case, lost=lost)
    return "" if ok else f"{case}: {status}; left {stray}; {lost} rows lost; serving {serving}"


def test_process_faults_end_in_a_clear_status_and_lose_nothing(
    cluster: Any, tmp_path: Path
) -> None:
    sandbox_only(cluster)
    with namespace_operator(cluster, tmp_path, "process") as (api, _):
        names = {f"p{n}": case for n, case in enumerate(CASES)}
        objects: list[dict[str, Any]] = []
        for name, case in names.items():
            spec = {"readiness": READINESS, **CASES[case][1]}
            objects += [claim(f"{name}-data"), node_port_service(name)]
            objects.append(release_object(name, GOOD, **spec))
        assert api.apply(*objects).returncode == 0
        urls = {}
        for name in names:
            api.wait_phase(name, "Ready", timeout=120)
            urls[name] = api.cluster.node_url(api.node_port(name))
            wait_for(lambda u=urls[name]: answers(f"{u}/version"), 30, f"{name} serving")
            seed_users(urls[name], 2)
        with ThreadPoolExecutor(len(names)) as pool:
            runs = [pool.submit(run_case, api, n, c, urls[n]) for n, c in names.items()]
            problems = [p for run in runs if (p := run.result())]
        assert not problems, "\n".join(problems)
