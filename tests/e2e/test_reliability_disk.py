"""The disk filling under a Release: its claim a real tmpfs on the sandbox's host, filled up.

The sandbox keeps a claim as a folder on this machine; here that folder is a small tmpfs
mounted before the first pod uses it (as root), so the app, the snapshot Job and the restore
Job all write to a filesystem that really fills. Two cases, side by side:

- a snapshot when no inode is left (the space check passes, creating the copy fails with
  ENOSPC): the release fails with SnapshotFailed, the serving version keeps serving, nothing
  half-written stays;
- a restore when the bytes are gone (half a MiB left, for the app's own files): refused before
  anything moves, the database untouched, the app serving again.

Each records its case and the rows it lost (none) for docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from backup_support import ask_backup, ask_restore
from release_app import answers, seed_users, version_of
from release_objects import GOOD, GOOD_NEXT, claim, node_port_service, release_object
from release_support import Api, wait_for
from reliability_support import (
    claim_dir,
    lost_rows,
    namespace_operator,
    release_rows,
    rollout_ended,
    sandbox_only,
    settled,
)
from support.reliability import record
from test_reliability_process import BACKUP, NO_PREFLIGHT, READINESS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SIZE = "8m"  # the claim's tmpfs: room for the app's database and a few copies
INODES = 64
KEEP_FREE = 512 * 1024


@contextlib.contextmanager
def tmpfs_claim(api: Api, name: str, options: str) -> Iterator[Path]:
    """The claim `name`, its folder on the host a fresh tmpfs (mode 0777, as local-path makes
    it); unmounted at the end (lazily: a pod that was slow to go may still hold a file)."""
    assert api.apply(claim(name)).returncode == 0
    folder = claim_dir(api, name)
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"{options},mode=0777", "tmpfs", str(folder)],
                   check=True, capture_output=True, timeout=30)  # fmt: skip
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False, timeout=30)


def use_up_inodes(folder: Path) -> int:
    """Create empty files until the filesystem has no inode left; how many it took."""
    made = 0
    while True:
        try:
            (folder / f"filler-{made}").touch()
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            return made
        made += 1


def fill_leaving(folder: Path, keep: int) -> int:
    """Write one file until only `keep` bytes stay free (room for the app's -wal and -shm,
    none for a copy and its 1 MiB margin); its size."""
    stats = os.statvfs(folder)
    size = stats.f_bavail * stats.f_frsize - keep
    chunk = b"\0" * 65536
    with (folder / "filler").open("wb", buffering=0) as out:
        for _ in range(size // len(chunk)):
            out.write(chunk)
    return size


def half_done(folder: Path) -> list[str]:
    """Files a copy left behind half-written."""
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith((".partial", ".restoring")))


def deploy(api: Api, name: str, **spec: Any) -> str:
    """The Service and the Release on its claim; its URL once it serves, with users seeded."""
    release = release_object(name, GOOD, readiness=READINESS, preflight=NO_PREFLIGHT, **spec)
    assert api.apply(node_port_service(name), release).returncode == 0
    api.wait_phase(name, "Ready", timeout=120)
    url = api.cluster.node_url(api.node_port(name))
    wait_for(lambda: answers(f"{url}/version"), 30, f"{name} serving")
    seed_users(url, 2)
    return url


def snapshot_without_inodes(api: Api, folder: Path) -> tuple[bool, str]:
    """A rollout (RollingUpdate: the app keeps its files open) whose snapshot cannot create
    its copy: SnapshotFailed, the old version serving, nothing half-written."""
    name = "dsnap"
    url = deploy(api, name, strategy="RollingUpdate")
    before = release_rows(api, name)
    fillers = use_up_inodes(folder)
    status = rollout_ended(api, name, {"spec": {"image": GOOD_NEXT}}, "rollout")
    serving = (version_of(url) or {}).get("image")
    left = half_done(folder)
    for filler in folder.glob("filler-*"):  # room again, for the test to read the database
        filler.unlink()
    lost = lost_rows(before, release_rows(api, name))
    message = status.get("message", "").replace(str(folder), "<claim>")  # a folder of this run
    said = f"{status['phase']} ({status.get('reason')}): {message}"
    ok = (
        status["phase"] == "Failed"
        and status.get("reason") == "SnapshotFailed"
        and "no space" in message.lower()  # errno 28's words, or the Job's own
        and serving == GOOD
        and not left
    )
    case = "the disk full during a snapshot under a Release (no inode left on its tmpfs claim)"
    record("process", case=case, ok=ok and not lost, status=f"{said}; serving {serving}")
    record("rows", case=case, lost=lost)
    return ok and not lost, f"{fillers} files filled it; {said}; serving {serving}; {lost} lost"


def restore_without_bytes(api: Api, folder: Path) -> tuple[bool, str]:
    """A restore asked for when the claim is full: refused before anything moves, the
    database untouched, the app serving again."""
    name = "drest"
    url = deploy(api, name, backup=BACKUP)
    taken = ask_backup(api, name, "before-full")["lastBackup"]["file"]
    before = release_rows(api, name)
    filled = fill_leaving(folder, KEEP_FREE)
    restore = ask_restore(api, name, taken, None)
    status = wait_for(lambda: settled(api, name), 180, f"{name} settling")
    wait_for(lambda: answers(f"{url}/version"), 60, f"{name} serving again")
    after = release_rows(api, name)
    untouched, lost = after == before, lost_rows(before, after)
    message = restore.get("message") or status.get("message", "")
    ok = (
        restore.get("outcome") in ("Refused", "Failed")
        and "not enough space on the volume" in message
        and "nothing was copied" in message
        and status["phase"] == "Ready"
        and untouched
        and not half_done(folder)
    )
    case = "the disk full during a restore under a Release (its tmpfs claim filled)"
    said = f"restore {restore.get('outcome')}: {message}"
    record("process", case=case, ok=ok and not lost, status=said)
    record("rows", case=case, lost=lost)
    state = f"database {'un' if untouched else ''}touched; {lost} lost"
    return ok and not lost, f"{filled} bytes filled it; {said}; {state}"


def test_a_full_claim_fails_a_snapshot_and_refuses_a_restore_cleanly(
    cluster: Any, tmp_path: Path
) -> None:
    sandbox_only(cluster)
    if os.geteuid() != 0:
        pytest.skip("mounts a tmpfs as the claim's folder: needs root (CI runs as root)")
    with (
        namespace_operator(cluster, tmp_path, "disk") as (api, _),
        tmpfs_claim(api, "dsnap-data", f"size={SIZE},nr_inodes={INODES}") as snap_folder,
        tmpfs_claim(api, "drest-data", f"size={SIZE}") as restore_folder,
        ThreadPoolExecutor(2) as pool,
    ):
        runs = [
            pool.submit(snapshot_without_inodes, api, snap_folder),
            pool.submit(restore_without_bytes, api, restore_folder),
        ]
        results = [run.result() for run in runs]
        api.kubectl("delete", "releases", "--all", "--timeout=60s")
    assert all(ok for ok, _ in results), "\n".join(said for _, said in results)
