"""Snapshots off the laptop: sent to a restic repository, kept by the same rule, verified.

Each snapshot file goes in as one restic snapshot of the file `/<database name>` (from stdin,
so every snapshot has the same path and restic's keep rule sees them as one series) of the
host `<release>`, at the time it was taken (in the Release's time zone, whose days restic's
rule then counts), tagged with what its sidecar says: `file=`, `sha256=`, `schema=`,
`image=`, `size=`, `taken=`, `kind=`, `release=`. So the repository describes itself: restic
alone lists, checks and restores it when the laptop is gone (docs/operations.md).

Verification restores the newest copy into a scratch file, runs `PRAGMA integrity_check`,
compares its sha256 with the sidecar's (the `sha256=` tag), and runs `restic check` reading a
sample of the packs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gitops import dbfiles
from gitops.dbfiles import SnapshotError
from gitops.diskspace import ensure_room
from gitops.restic import Restic, ResticError, Snapshot

CHECK_SUBSET = "100M"  # restic check reads up to this much of the packs, chosen at random
TAG_KEYS = {"file": "file", "sha256": "sha256", "schemaVersion": "schema", "image": "image"}
TAG_KEYS |= {"sizeBytes": "size", "takenAt": "taken"}


def tags_of(sidecar: Mapping[str, Any]) -> list[str]:
    """restic tags (key=value, no commas) from a snapshot's sidecar."""
    tags = [f"{tag}={sidecar.get(key)}" for key, tag in TAG_KEYS.items() if sidecar.get(key)]
    tags += [f"kind={sidecar.get('kind') or 'predeploy'}", f"release={sidecar.get('release')}"]
    return [tag.replace(",", "_") for tag in tags]


def local_time(taken_at: str, zone: str) -> str:
    """restic's --time: the snapshot's moment as a wall-clock time of the zone."""
    moment = datetime.fromisoformat(taken_at.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def describe(snapshot: Snapshot) -> dict[str, Any]:
    """What a result says of a restic snapshot."""
    return {
        "snapshotId": snapshot.short_id,
        "file": snapshot.tags.get("file", ""),
        "time": snapshot.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def send(restic: Restic, snapshot: Path, host: str, keep_flags: list[str]) -> dict[str, Any]:
    """Back up one snapshot file (once: a retry finds it sent), then apply the keep rule."""
    sidecar = dbfiles.read_sidecar(snapshot)
    created = restic.ensure_repository()
    existing = [s for s in restic.snapshots(host) if s.tags.get("file") == snapshot.name]
    if existing:
        sent = describe(existing[-1])
    else:
        when = local_time(str(sidecar["takenAt"]), restic.time_zone)
        tags = tags_of(sidecar)
        short = restic.backup_file(snapshot, database_name(sidecar), host, tags, when)
        sent = {"snapshotId": short, "file": snapshot.name, "time": sidecar["takenAt"]}
    removed = restic.forget(host, keep_flags)
    return {**sent, "initialised": created, "forgotten": len(removed)}


def database_name(sidecar: Mapping[str, Any]) -> str:
    """The file name every restic snapshot of this release holds: <release>.db."""
    return f"{sidecar.get('release') or 'database'}.db"


def newest(restic: Restic, host: str, ref: str = "latest") -> Snapshot:
    """The newest restic snapshot of the host, or the one whose id starts with `ref`."""
    found = restic.snapshots(host)
    if ref != "latest":
        found = [s for s in found if s.id.startswith(ref) or s.short_id == ref]
    if not found:
        what = "no snapshot" if ref == "latest" else f"no snapshot with id {ref!r}"
        raise ResticError(f"the repository holds {what} of {host}: list them with restic snapshots")
    return found[-1]


def fetch(restic: Restic, snapshot: Snapshot, host: str, target: Path) -> dict[str, Any]:
    """Write a restic snapshot's file to `target`; check its sha256 against its tag."""
    name = f"{snapshot.tags.get('release') or host}.db"
    restic.dump(snapshot.id, name, target)
    digest = dbfiles.sha256_file(target)
    if snapshot.tags.get("sha256") and digest != snapshot.tags["sha256"]:
        raise ResticError(
            f"the copy of {snapshot.short_id} has sha256 {digest[:12]}..., its sidecar says "
            f"{snapshot.tags['sha256'][:12]}...: the repository returned other bytes"
        )
    return {"sha256": digest, "sizeBytes": target.stat().st_size}


def verify(restic: Restic, host: str, scratch: Path) -> dict[str, Any]:
    """Restore the newest copy into scratch, check it, then `restic check` with a sample."""
    latest = newest(restic, host)
    size = latest.tags.get("size")
    if size and size.isdigit():
        ensure_room(scratch, int(size), "the scratch copy")
    with tempfile.TemporaryDirectory(dir=scratch, prefix="verify-") as folder:
        copy = Path(folder) / "copy.db"
        fetch(restic, latest, host, copy)
        verdict, version = dbfiles.inspect(copy)
        if verdict != "ok":
            raise SnapshotError(f"the copy of {latest.short_id} fails integrity_check: {verdict}")
    restic.check(CHECK_SUBSET)
    return {**describe(latest), "schemaVersion": version, "sample": CHECK_SUBSET}
