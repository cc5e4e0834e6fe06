"""python -m gitops.snapshot: an online, consistent copy of a SQLite database, then pruning.

The copy uses the SQLite online backup API in a single step (`pages=-1`): one read
transaction, so the copy is exactly the database as of one commit, while writers in WAL mode
go on. Chosen over `VACUUM INTO` by measurement (21.6 MB WAL database, median of 5, another
process committing one row per transaction throughout): backup API 0.042 s vs VACUUM INTO
0.054 s under load, 0.036 s vs 0.042 s idle (a plain, inconsistent file copy: 0.006 s).
`--method vacuum` stays available. The copy is verified with `PRAGMA integrity_check` before it
gets its final name, so a failed run leaves no half snapshot and deletes nothing else. Before
copying it checks that the copy fits on the volume with a margin (gitops.diskspace), and its
result reports the volume's used and free bytes.

Two kinds share the folder, told apart by their sidecar's `kind`: the pre-deploy snapshots of
the releases (`--keep N` newest are kept) and the scheduled backups (`--kind scheduled`, named
`<release>-scheduled-...`, kept by the grandfather-father-son rule of `--keep-rule` in
`--time-zone`). Each kind prunes only its own.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gitops import retention
from gitops.dbfiles import (
    TERMINATION_LOG,
    SnapshotError,
    copy_database,
    fsync_path,
    inspect,
    read_sidecar,
    run,
    sha256_file,
    utc_stamp,
    write_json,
)
from gitops.diskspace import database_bytes, ensure_room, usage
from gitops.images import short_image

FAILED_PREFIX = "failed-"
PREDEPLOY, SCHEDULED = "predeploy", "scheduled"


def snapshot_name(release: str, image: str, moment: datetime, kind: str = PREDEPLOY) -> str:
    """<release>-[scheduled-]<UTC timestamp>-<short image>.db with only file-safe characters."""
    tag = re.sub(r"[^A-Za-z0-9._-]", "_", short_image(image))[:40]
    middle = "scheduled-" if kind == SCHEDULED else ""
    return f"{release}-{middle}{utc_stamp(moment)}-{tag}.db"


def _free_name(directory: Path, name: str) -> Path:
    """A path for `name` that does not exist yet (adds -1, -2... on a clash)."""
    path, stem, count = directory / name, name[:-3], 1
    while path.exists() or path.with_suffix(".json").exists():
        path = directory / f"{stem}-{count}.db"
        count += 1
    return path


def _record(
    copy: Path, name: str, version: int, args: argparse.Namespace, now: datetime
) -> dict[str, Any]:
    """The sidecar of a verified copy."""
    return {
        "file": name,
        "takenAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sizeBytes": copy.stat().st_size,
        "sha256": sha256_file(copy),
        "schemaVersion": version,
        "image": args.image,
        "release": args.release,
        "kind": args.kind,
    }


def take(args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    """Take, verify and record one snapshot, then prune; return the result fields."""
    source, directory = Path(args.database), Path(args.directory)
    if not source.is_file():
        raise SnapshotError(f"database {source} does not exist: check spec.snapshot.databasePath")
    directory.mkdir(parents=True, exist_ok=True)
    stale = remove_stale_partials(directory, args.release)
    ensure_room(directory, database_bytes(source), f"a copy of {source.name}")
    final = _free_name(directory, snapshot_name(args.release, args.image, now, args.kind))
    temp = directory / f".{final.name}.partial"
    started = time.monotonic()
    try:
        copy_database(source, temp, args.method)
        verdict, version = inspect(temp)
        if verdict != "ok":
            raise SnapshotError(f"integrity_check of the copy failed: {verdict[:300]}")
        temp.chmod(0o640)  # it holds the app's data: owner and group (fsGroup) only
        fsync_path(temp)
        record = _record(temp, final.name, version, args, now)
        write_json(final.with_suffix(".json"), record)
        temp.replace(final)
        fsync_path(directory)
    except BaseException:
        _discard(temp, final)
        raise
    pruned = _prune(args, directory, {final.name, *map(_base, args.protect)})
    seconds = round(time.monotonic() - started, 3)
    message = f"snapshot {final.name} taken in {seconds}s ({args.method})"
    if stale:
        copies = "copy" if len(stale) == 1 else "copies"
        message += f"; removed {len(stale)} partial {copies} a stopped run left"
    return {
        **record,
        "pruned": pruned,
        "removedPartials": stale[:10],
        "method": args.method,
        "seconds": seconds,
        "message": message,
        "disk": usage(directory).to_result(),
    }


def _prune(args: argparse.Namespace, directory: Path, protected: set[str]) -> list[str]:
    """Prune the snapshots of this run's kind by that kind's rule."""
    if args.kind == PREDEPLOY:
        return prune(directory, args.release, args.keep, protected)
    keep, zone = retention.Keep.parse(args.keep_rule), ZoneInfo(args.time_zone)
    return prune_scheduled(directory, args.release, keep, zone, protected)


def remove_stale_partials(directory: Path, release: str) -> list[str]:
    """Delete the release's half-written copies (`.<snapshot name>.partial`) that a run killed
    mid-copy left; their names. One snapshot Job of a release runs at a time (the operator
    starts the next only once the last one ended), so none of them is still being written."""
    stale = re.compile(rf"^\.{re.escape(release)}-(?:scheduled-)?\d{{8}}T\d{{6}}Z-.+\.db\.partial$")
    removed = []
    for path in sorted(directory.glob(".*.partial")):
        if stale.match(path.name):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def _discard(temp: Path, final: Path) -> None:
    """Remove only what this run created: the partial copy and an orphaned new sidecar."""
    temp.unlink(missing_ok=True)
    if not final.exists():
        final.with_suffix(".json").unlink(missing_ok=True)


def _base(path: str) -> str:
    """The file name of a path."""
    return Path(path).name


def good_snapshots(
    directory: Path, release: str, kinds: tuple[str, ...] = (PREDEPLOY, SCHEDULED)
) -> list[tuple[str, Path]]:
    """(takenAt, path) of this release's snapshots of those kinds, newest first.

    A snapshot counts when its sidecar is readable and names it; a sidecar without a kind is a
    pre-deploy one (written before there were two kinds).
    """
    found = []
    for path in directory.glob("*.db"):
        if path.name.startswith(FAILED_PREFIX):
            continue
        try:
            data = read_sidecar(path)
        except SnapshotError:
            continue  # no readable sidecar: not a snapshot we can vouch for, never deleted
        ours = data.get("release") == release and data.get("file") == path.name
        if ours and data.get("kind", PREDEPLOY) in kinds:
            found.append((str(data.get("takenAt", "")), path))
    return sorted(found, key=lambda item: (item[0], item[1].name), reverse=True)


def prune(directory: Path, release: str, keep: int, protected: set[str]) -> list[str]:
    """Delete the pre-deploy snapshots beyond the newest `keep`; never a protected one."""
    snapshots = good_snapshots(directory, release, (PREDEPLOY,))
    doomed = [path for _, path in snapshots[max(keep, 1) :] if path != snapshots[0][1]]
    return _delete(doomed, protected)


def prune_scheduled(
    directory: Path, release: str, keep: retention.Keep, zone: ZoneInfo, protected: set[str]
) -> list[str]:
    """Delete the scheduled snapshots the keep rule drops; never a protected one."""
    snapshots = good_snapshots(directory, release, (SCHEDULED,))
    moments = {path: datetime.fromisoformat(at.replace("Z", "+00:00")) for at, path in snapshots}
    _, doomed = retention.select(moments, moments.__getitem__, keep, zone)
    return _delete(doomed, protected)


def _delete(paths: list[Path], protected: set[str]) -> list[str]:
    """Delete snapshots and their sidecars (not the protected ones); return their names."""
    pruned = []
    for path in paths:
        if path.name in protected:
            continue
        path.unlink()
        path.with_suffix(".json").unlink(missing_ok=True)
        pruned.append(path.name)
    return pruned


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(prog="python -m gitops.snapshot", description=__doc__)
    parser.add_argument("--database", required=True, help="the SQLite file to copy")
    parser.add_argument("--directory", required=True, help="where snapshots are kept")
    parser.add_argument("--release", required=True, help="Release name (file prefix)")
    parser.add_argument("--image", required=True, help="image that wrote the database")
    parser.add_argument("--keep", type=int, default=10, help="snapshots to keep (>= 1)")
    parser.add_argument("--kind", choices=(PREDEPLOY, SCHEDULED), default=PREDEPLOY)
    parser.add_argument(
        "--keep-rule", default=retention.Keep().to_arg(), help="scheduled: last=N,daily=N,..."
    )
    parser.add_argument("--time-zone", default="UTC", help="scheduled: days of which zone")
    parser.add_argument(
        "--protect", action="extend", nargs="+", default=[], help="never prune these files"
    )
    parser.add_argument("--method", choices=("backup", "vacuum"), default="backup")
    parser.add_argument("--termination-log", default=TERMINATION_LOG)
    args = parser.parse_args(argv)
    if args.keep < 1:
        parser.error("--keep must be >= 1")
    try:
        retention.Keep.parse(args.keep_rule)
        ZoneInfo(args.time_zone)
    except (ValueError, KeyError) as error:  # ZoneInfoNotFoundError is a KeyError
        parser.error(str(error))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: exit 0 with an ok result, 1 with a failed result."""
    args = parse_args(argv)
    base = {"release": args.release, "image": args.image, "kind": args.kind}
    base["disk"] = usage(Path(args.directory)).to_result()  # a failed run reports it too
    return run(lambda: take(args, datetime.now(UTC)), base, args.termination_log)


if __name__ == "__main__":
    raise SystemExit(main())
