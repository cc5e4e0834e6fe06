"""File helpers shared by the Job commands: `python -m gitops.snapshot`, `gitops.restore` and
`gitops.preflight`."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TERMINATION_LOG = "/dev/termination-log"
TERMINATION_LIMIT = 4096  # the kubelet keeps at most this many bytes of a termination message


class SnapshotError(Exception):
    """A failure with a message that says what went wrong and how to fix it."""


def utc_stamp(moment: datetime) -> str:
    """Compact UTC timestamp for file names, e.g. 20261126T060321Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file or directory to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_existing(
    path: Path, *, readonly: bool = False, immutable: bool = False
) -> sqlite3.Connection:
    """Open a SQLite file that must already exist (never creates one)."""
    if not path.is_file():
        raise SnapshotError(f"database {path} does not exist or is not a file")
    need = os.R_OK if readonly or immutable else os.R_OK | os.W_OK
    if not os.access(path, need):
        raise SnapshotError(
            f"permission denied on {path}: run the Job as the app's user or group "
            "(securityContext runAsUser/fsGroup of spec.template)"
        )
    mode = "ro" if readonly or immutable else "rw"
    flags = "&immutable=1" if immutable else ""
    return sqlite3.connect(f"file:{path}?mode={mode}{flags}", uri=True, timeout=5.0)


def copy_database(source: Path, dest: Path, method: str = "backup") -> None:
    """Copy `source` to the new file `dest` in one read transaction (backup API or VACUUM INTO)."""
    src = open_existing(source)  # read-write: a WAL database needs its -shm written
    try:
        src.execute("PRAGMA busy_timeout = 5000")
        if method == "vacuum":
            src.execute("VACUUM INTO ?", (str(dest),))
            return
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    finally:
        src.close()


def inspect(path: Path) -> tuple[str, int]:
    """(integrity_check verdict, user_version) of a file nobody else writes."""
    conn = open_existing(path, immutable=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()
    verdict = "; ".join(str(row[0]) for row in rows)
    return verdict, version


def read_sidecar(path: Path) -> dict[str, Any]:
    """The JSON sidecar of a snapshot file (<name>.json beside <name>.db)."""
    sidecar = path.with_suffix(".json")
    try:
        data = json.loads(sidecar.read_text())
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"sidecar {sidecar} is missing or unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise SnapshotError(f"sidecar {sidecar} does not hold a JSON object")
    return data


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON durably via a temporary file and a rename."""
    temp = path.with_name(f".{path.name}.tmp")
    with temp.open("w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(path)


def describe(exc: BaseException) -> str:
    """A clear, human message for the errors a snapshot or restore meets."""
    text = str(exc)
    full = "database or disk is full" in text
    if full or (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)):
        return f"no space left on the volume ({text}): free space or lower spec.snapshot.keep"
    if isinstance(exc, sqlite3.OperationalError) and "unable to open database file" in text:
        return (
            f"cannot create or open a database file ({text}): the volume may be full (no space "
            "or no inode left) or not writable by the Job's user"
        )
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return f"the file is not a SQLite database or is corrupt ({text})"
    if isinstance(exc, PermissionError):
        return f"permission denied ({text}): the Job must run as the app's user or fsGroup"
    return text


def report(result: Mapping[str, Any], termination_log: str) -> None:
    """Print the JSON result and write it as the container's termination message."""
    text = json.dumps(result, sort_keys=True, separators=(",", ":"))
    print(text, flush=True)
    if len(text.encode()) > TERMINATION_LIMIT:
        slim = {k: v for k, v in result.items() if k not in ("pruned", "movedAside")}
        text = json.dumps(slim, sort_keys=True, separators=(",", ":"))
    try:
        Path(termination_log).write_text(text)
    except OSError as exc:  # no termination log outside a pod: stdout already has the result
        print(f"cannot write termination log {termination_log}: {exc}", file=sys.stderr)


def run(work: Callable[[], dict[str, Any]], base: Mapping[str, Any], termination_log: str) -> int:
    """Run a snapshot/restore, reporting a failed result (exit 1) on any expected error."""
    try:
        result = {**base, **work(), "ok": True}
    except (SnapshotError, OSError, sqlite3.Error) as exc:
        result = {**base, "ok": False, "error": describe(exc)}
        print(f"error: {result['error']}", file=sys.stderr)
    report(result, termination_log)
    return 0 if result["ok"] else 1
