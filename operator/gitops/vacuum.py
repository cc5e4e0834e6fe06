"""python -m gitops.vacuum: `VACUUM` then `PRAGMA optimize` on the live database.

With strategy Recreate the operator stops the app for the duration; with RollingUpdate the app
keeps serving and its writes wait on SQLite's lock (busy timeout) while VACUUM runs. VACUUM
rebuilds the file through a temporary copy and the write-ahead log, so it needs about the
database's size free on the volume (checked first, gitops.diskspace) and in the temporary
folder. The result says how long it took and how many bytes it gave back.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitops import dbfiles
from gitops.dbfiles import SnapshotError
from gitops.diskspace import database_bytes, ensure_room, usage

BUSY_TIMEOUT_MS = 30000


def _fold(conn: Any) -> None:
    """Fold the write-ahead log into the file, so its size is the database's."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def vacuum(database: Path) -> dict[str, Any]:
    """VACUUM and optimize; the sizes before and after, the time taken."""
    if not database.is_file():
        raise SnapshotError(f"database {database} does not exist: check spec.snapshot.databasePath")
    ensure_room(database.parent, database_bytes(database), "VACUUM's rebuilt copy")
    conn = dbfiles.open_existing(database)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _fold(conn)
        before = database.stat().st_size
        started = time.monotonic()
        conn.execute("VACUUM")
        conn.execute("PRAGMA optimize")
        _fold(conn)
        seconds = round(time.monotonic() - started, 3)
    finally:
        conn.close()
    after = database.stat().st_size
    message = f"VACUUM took {seconds}s and gave back {max(before - after, 0)} bytes"
    return {
        "seconds": seconds,
        "sizeBeforeBytes": before,
        "sizeAfterBytes": after,
        "reclaimedBytes": max(before - after, 0),
        "message": message,
        "disk": usage(database.parent).to_result(),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(prog="python -m gitops.vacuum", description=__doc__)
    parser.add_argument("--database", required=True, help="the live SQLite file")
    parser.add_argument("--termination-log", default=dbfiles.TERMINATION_LOG)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: exit 0 with an ok result, 1 with a failed result."""
    args = parse_args(argv)
    database = Path(args.database)
    base = {"database": database.name, "disk": usage(database.parent).to_result()}
    return dbfiles.run(lambda: vacuum(database), base, args.termination_log)


if __name__ == "__main__":
    raise SystemExit(main())
