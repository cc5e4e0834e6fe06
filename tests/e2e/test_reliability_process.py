"""Process faults under a Release, all at once in one namespace: the app pod killed during the
snapshot, the snapshot and the restore Jobs SIGKILLed mid-copy (their half-written file on the
claim, the database made big enough for the copy to take a while), a snapshot corrupted before
it is restored, and the claim deleted under a serving Release.

Each must end in a clear status, with no row of the app's database lost and nothing left
half-done on the claim once the next run of the Job (the retry, the restore a user asks for)
has gone through. The disk filling during a snapshot and during a restore is tested
under a Release whose claim is a real small tmpfs (test_reliability_disk.py), and on the Jobs'
own program (tests/operator/release/test_snapshot_stress.py and test_restore.py); all record
their cases here too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from backup_support import ask_backup, ask_restore
from gitops.api import JOB_KIND_LABEL, RETRY_ANNOTATION
from kubernetes import client
from release_app import answers, seed_users
from release_objects import CRASH, GOOD, GOOD_NEXT, GROUP, claim, node_port_service, release_object
from release_support import Api, wait_for
from reliability_support import (
    DATABASE,
    claim_dir,
    lost_rows,
    namespace_operator,
    release_rows,
    rollout_ended,
    sandbox_only,
    settled,
)
from support.reliability import record

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
READINESS = {"timeoutSeconds": 90, "maxRestarts": 1, "bakeSeconds": 1}
NO_PREFLIGHT = {"enabled": False}
BACKUP = {"schedule": "0 3 1 1 *", "verifySchedule": ""}
BALLAST_MB = 128  # the database of the mid-copy cases: a copy takes a moment


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


def add_ballast(api: Api, name: str) -> None:
    """BALLAST_MB of rows added to the app's database on the claim (from the host, beside the
    running app, as SQLite allows): a copy of it takes long enough to be killed mid-way."""
    database = claim_dir(api, f"{name}-data") / DATABASE
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        db.execute("CREATE TABLE ballast (payload BLOB)")
        db.executemany("INSERT INTO ballast VALUES (?)",
                       ((os.urandom(1 << 20),) for _ in range(BALLAST_MB)))  # fmt: skip
        db.commit()


def job_process(folder: Path, module: str) -> int | None:
    """The process group of the Job container running `python -m module` on the claim whose
    folder is `folder` (the process runtime runs it on this machine, in a session of its own,
    the claim's path in its arguments; the folder's name holds the claim's uid, so no other
    run's Job matches). None when there is none."""
    claim = folder.name.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if module.encode() in argv and any(claim in arg for arg in argv):
                return os.getpgid(int(entry.name))
        except OSError:  # it ended meanwhile
            continue
    return None


def kill_mid_copy(api: Api, name: str, module: str, pattern: str) -> str:
    """SIGKILL the Job running `module` on the Release's claim the moment its temporary copy
    (`pattern`, under the claim) exists; the copy's name, checked to be still there once the
    process is gone (the kill came mid-copy)."""
    folder = claim_dir(api, f"{name}-data")

    def copying() -> tuple[Path, int] | None:
        copy = next(folder.glob(pattern), None)
        group = job_process(folder, module) if copy else None
        return (copy, group) if copy and group else None

    copy, group = wait_for(copying, 120, f"{module} copying", 0.001)
    os.killpg(group, signal.SIGKILL)
    assert copy.exists(), f"{copy.name} went before the kill: the copy was over"
    return copy.name


def retried(api: Api, name: str) -> dict[str, Any]:
    """Retry the failed image (the annotation RETRY_HINT names); the status once that rollout
    ended."""
    retry = {"metadata": {"annotations": {RETRY_ANNOTATION: "after-kill"}}}
    return rollout_ended(api, name, retry, "retried rollout")


def snapshot_job_killed(api: Api, name: str) -> tuple[bool, str]:
    """The snapshot Job killed mid-copy: SnapshotFailed, the old version serving; retried, the
    next snapshot removes the half-written copy and the new version serves."""
    api.patch_release(name, {"spec": {"image": GOOD_NEXT}})
    partial = kill_mid_copy(api, name, "gitops.snapshot", "snapshots/.*.partial")
    ended = outcome(api, name)
    status = api.status(name)
    failed = status["phase"] == "Failed" and status.get("reason") == "SnapshotFailed"
    again = retried(api, name)
    served = again["phase"] == "Ready" and again["image"] == GOOD_NEXT
    said = (again.get("lastSnapshot") or {}).get("file", "")
    return failed and served, f"killed while {partial} was written: {ended}; retried: " + (
        f"{again['phase']} ({again.get('reason')}) serving {again['image']}, snapshot {said}"
    )


def restore_job_killed(api: Api, name: str) -> tuple[bool, str]:
    """The rollback's restore Job killed mid-copy: RestoreFailed with the app kept stopped;
    the user then does what the message says (restore a snapshot, change spec.image) and the
    app serves the snapshot's data."""
    api.patch_release(name, {"spec": {"image": CRASH}})
    copy = kill_mid_copy(api, name, "gitops.restore", ".*.restoring")
    ended = outcome(api, name)
    status = api.status(name)
    failed = status["phase"] == "Failed" and status.get("reason") == "RestoreFailed"
    stopped = not [p for p in pods(api, name) if p.status.phase == "Running"]
    # what the message says to do: restore a snapshot, then change spec.image (back to GOOD)
    restore = ask_restore(api, name, "latest", None)
    api.patch_release(name, {"spec": {"image": GOOD}})
    status = wait_for(
        lambda: (s := settled(api, name)) and s["phase"] == "Ready" and s, 180, f"{name} Ready"
    )
    back = restore.get("outcome") == "Completed" and status["image"] == GOOD
    return failed and stopped and back, (
        f"killed while {copy} was written: {ended}; app {'kept stopped' if stopped else 'up'}; "
        f"restore latest: {restore.get('outcome')}; spec.image back to {GOOD}: "
        f"{status['phase']} ({status.get('reason')})"
    )


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
    "the snapshot Job killed mid-copy": (snapshot_job_killed, {"preflight": NO_PREFLIGHT}),
    "the restore Job killed mid-copy": (
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
            if "mid-copy" in names[name]:
                add_ballast(api, name)
        with ThreadPoolExecutor(len(names)) as pool:
            runs = [pool.submit(run_case, api, n, c, urls[n]) for n, c in names.items()]
            problems = [p for run in runs if (p := run.result())]
        assert not problems, "\n".join(problems)
