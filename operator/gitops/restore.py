"""python -m gitops.restore: put a verified snapshot back in place of the live database.

Refuses while the database is in use: a process with the file open in WAL mode holds a shared
fcntl lock on the -shm "DMS" byte (offset 128, as SQLite's unix VFS does), and a writer in
rollback-journal mode makes `BEGIN EXCLUSIVE` fail. The current database and its -wal/-shm are
moved aside as `<snapshot directory>/<prefix>-<timestamp>.db` (+ suffixes; the prefix is
`failed` in a rollback, `before-restore` for a restore asked for), never deleted; the snapshot
is copied in through a temporary file and a rename, then sha256 and integrity are checked. Any
failure after the move puts the original files back. Once the restore is done, the database
kept aside gets its write-ahead log folded in and a sidecar of its own, so it can be restored
by name like any snapshot. With `--mode IfSchemaChanged` the restore only happens when the
snapshot's schemaVersion differs from the current `PRAGMA user_version`. Before anything moves
it checks that the copy fits on the volume (gitops.diskspace).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import sqlite3
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gitops import dbfiles
from gitops.dbfiles import SnapshotError
from gitops.diskspace import ensure_room

SUFFIXES = ("", "-wal", "-shm")
SHM_DMS_OFFSET = 128  # WALINDEX_LOCK_OFFSET (120) + SQLITE_SHM_NLOCK (8)


def shm_in_use(database: Path) -> bool:
    """True when another process holds the WAL-index DMS lock (has the database open)."""
    shm = Path(f"{database}-shm")
    if not shm.exists():
        return False
    fd = os.open(shm, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_OFFSET)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, SHM_DMS_OFFSET)
        return False
    finally:
        os.close(fd)


def ensure_not_in_use(database: Path) -> None:
    """Raise when an app still has the database open or locked."""
    hint = "stop the app first (the operator scales its Deployment to 0)"
    if shm_in_use(database):
        raise SnapshotError(f"database {database} is open by another process; {hint}")
    conn = dbfiles.open_existing(database)
    try:
        conn.execute("PRAGMA busy_timeout = 1000")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise  # not a lock: reported as what it is (disk full, I/O error...)
        raise SnapshotError(f"database {database} is locked ({exc}); {hint}") from exc
    finally:
        conn.close()


def current_schema(database: Path) -> int | None:
    """user_version of the current database (None when missing or unreadable)."""
    if not database.is_file():
        return None
    try:
        conn = dbfiles.open_existing(database, readonly=True)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # an unreadable database counts as changed: restoring is the safe choice


def verify_snapshot(snapshot: Path) -> dict[str, Any]:
    """Check the snapshot against its sidecar (sha256, integrity) before touching anything."""
    if not snapshot.is_file():
        raise SnapshotError(f"snapshot {snapshot} does not exist")
    sidecar = dbfiles.read_sidecar(snapshot)
    digest = dbfiles.sha256_file(snapshot)
    if digest != sidecar.get("sha256"):
        raise SnapshotError(f"snapshot {snapshot} sha256 {digest} differs from its sidecar")
    verdict, _ = dbfiles.inspect(snapshot)
    if verdict != "ok":
        raise SnapshotError(f"snapshot {snapshot} fails integrity_check: {verdict[:300]}")
    return sidecar


def move_aside(
    database: Path, directory: Path, now: datetime, prefix: str = "failed"
) -> list[tuple[Path, Path]]:
    """Rename the database and its -wal/-shm to <prefix>-<timestamp>.db*; return the moves."""
    stem = f"{prefix}-{dbfiles.utc_stamp(now)}"
    count = 1
    while any((directory / f"{stem}.db{s}").exists() for s in SUFFIXES):
        stem, count = f"{prefix}-{dbfiles.utc_stamp(now)}-{count}", count + 1
    moves = []
    for suffix in SUFFIXES:
        source = Path(f"{database}{suffix}")
        if source.exists():
            target = directory / f"{stem}.db{suffix}"
            source.rename(target)
            moves.append((source, target))
    return moves


def put_back(moves: list[tuple[Path, Path]]) -> None:
    """Undo move_aside."""
    for source, target in moves:
        target.rename(source)


def install(snapshot: Path, database: Path, sha256: str) -> None:
    """Copy the snapshot in through a temporary file and a rename, then verify it."""
    temp = database.with_name(f".{database.name}.restoring")
    try:
        shutil.copyfile(snapshot, temp)
        dbfiles.fsync_path(temp)
        if dbfiles.sha256_file(temp) != sha256:
            raise SnapshotError(f"the copy of {snapshot} does not match its sha256")
        temp.replace(database)
    finally:
        temp.unlink(missing_ok=True)
    dbfiles.fsync_path(database.parent)
    verdict, _ = dbfiles.inspect(database)
    if verdict != "ok" or dbfiles.sha256_file(database) != sha256:
        raise SnapshotError(f"restored {database} failed verification: {verdict[:300]}")


def restore(args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    """Restore the snapshot per the mode; return the result fields."""
    database, snapshot = Path(args.database), Path(args.snapshot)
    sidecar = verify_snapshot(snapshot)
    if database.exists():
        ensure_not_in_use(database)
    wanted, found = sidecar.get("schemaVersion"), current_schema(database)
    if args.mode == "IfSchemaChanged" and found is not None and found == wanted:
        message = f"schema version {found} unchanged since the snapshot"
        return {"restored": False, "schemaVersion": found, "message": message}
    ensure_room(database.parent, snapshot.stat().st_size, f"restoring {snapshot.name}")
    moves = move_aside(database, snapshot.parent, now, args.aside_prefix)
    try:
        install(snapshot, database, str(sidecar["sha256"]))
    except BaseException:
        database.unlink(missing_ok=True)  # a half-installed copy; the original comes back next
        put_back(moves)
        raise
    aside = [str(target.name) for _, target in moves]
    if moves:
        describe_aside(moves[0][1], sidecar, now)
    kept = f"the database it replaced is kept as {aside[0]}" if aside else "there was none before"
    message = f"schema {found} -> {wanted}; {kept}"
    return {
        "restored": True,
        "sha256": sidecar["sha256"],
        "schemaVersion": wanted,
        "previousSchemaVersion": found,
        "movedAside": aside,
        "message": message,
    }


def describe_aside(aside: Path, snapshot: dict[str, Any], now: datetime) -> None:
    """Fold the kept database's WAL into it and write its sidecar (best effort: it stays kept)."""
    try:
        conn = sqlite3.connect(aside)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")  # one file: restorable by name
        finally:
            conn.close()
        verdict, version = dbfiles.inspect(aside)
        record = {
            "file": aside.name,
            "takenAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sizeBytes": aside.stat().st_size,
            "sha256": dbfiles.sha256_file(aside),
            "schemaVersion": version,
            "release": snapshot.get("release"),
            "kind": "aside",
            "integrity": verdict[:300],
        }
        dbfiles.write_json(aside.with_suffix(".json"), record)
    except (OSError, sqlite3.Error) as error:  # the files are kept as moved; only no sidecar
        print(f"database kept as {aside.name} without a sidecar: {error}", file=sys.stderr)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(prog="python -m gitops.restore", description=__doc__)
    parser.add_argument("--database", required=True, help="the live SQLite file to replace")
    parser.add_argument("--snapshot", required=True, help="the snapshot .db (sidecar beside it)")
    parser.add_argument("--mode", choices=("Always", "IfSchemaChanged"), default="Always")
    parser.add_argument(
        "--aside-prefix", choices=("failed", "before-restore"), default="failed",
        help="name of the database kept aside: failed-... (a rollback), before-restore-...",
    )  # fmt: skip
    parser.add_argument("--termination-log", default=dbfiles.TERMINATION_LOG)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: exit 0 with an ok result, 1 with a failed result."""
    args = parse_args(argv)
    base = {"database": args.database, "snapshot": Path(args.snapshot).name, "mode": args.mode}
    return dbfiles.run(lambda: restore(args, datetime.now(UTC)), base, args.termination_log)


if __name__ == "__main__":
    raise SystemExit(main())
