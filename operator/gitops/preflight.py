"""python -m gitops.preflight copy|clean: the scratch copy of the database a preflight runs on.

`copy` makes a consistent copy (SQLite online backup API, in one read transaction) of the
snapshot just taken, or of the live database while the app keeps serving, checks it with
`PRAGMA integrity_check`, and first removes what earlier preflights of the same Release left
under the preflight folder. `clean` reads the schema version (`PRAGMA user_version`) the new
image left the copy at, then removes the copy's folder. Both report a JSON result on the
container's termination message.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitops.dbfiles import (
    TERMINATION_LOG,
    SnapshotError,
    copy_database,
    inspect,
    open_existing,
    run,
)


def _leftovers(root: Path, prefix: str, keep: str) -> list[Path]:
    """Folders of earlier preflights of this Release (named <prefix>...), not `keep`."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith(prefix) and p.name != keep)


def copy(args: argparse.Namespace) -> dict[str, Any]:
    """Copy the source database into the preflight's folder and verify the copy."""
    source, target, root = Path(args.source), Path(args.target), Path(args.root)
    if not source.is_file():
        raise SnapshotError(f"database {source} does not exist: check spec.snapshot")
    folder = target.relative_to(root).parts[0]
    removed = [p.name for p in _leftovers(root, args.prefix, folder)]
    for name in removed:
        shutil.rmtree(root / name)
    target.parent.mkdir(parents=True, exist_ok=True)
    (root / folder).chmod(0o770)  # the app's user and group (fsGroup) only
    target.unlink(missing_ok=True)
    copy_database(source, target)
    verdict, version = inspect(target)
    if verdict != "ok":
        raise SnapshotError(f"integrity_check of the copy failed: {verdict[:300]}")
    target.chmod(0o660)
    size = target.stat().st_size
    message = f"copied {source.name} to {target} ({size} bytes, schema version {version})"
    return {"schemaVersion": version, "sizeBytes": size, "removed": removed, "message": message}


def clean(args: argparse.Namespace) -> dict[str, Any]:
    """Read the copy's schema version, then remove the preflight's folder."""
    folder, database = Path(args.folder), Path(args.database)
    version = None
    if database.is_file():
        conn = open_existing(database)  # read-write: a WAL the pod left is folded in first
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    if folder.exists():
        shutil.rmtree(folder)
    message = f"removed {folder}; the copy was at schema version {version}"
    return {"schemaVersion": version, "message": message}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(prog="python -m gitops.preflight", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("copy", help="copy the database for a preflight")
    made.add_argument("--source", required=True, help="the snapshot, or the live database")
    made.add_argument("--target", required=True, help="the copy, inside --root")
    made.add_argument("--root", required=True, help="the folder of every preflight's copy")
    made.add_argument("--prefix", required=True, help="folders of this Release start so")
    gone = commands.add_parser("clean", help="read the copy's schema version, remove it")
    gone.add_argument("--folder", required=True, help="the preflight's folder")
    gone.add_argument("--database", required=True, help="the copy inside it")
    for sub in (made, gone):
        sub.add_argument("--termination-log", default=TERMINATION_LOG)
    args = parser.parse_args(argv)
    if args.command == "copy" and not Path(args.target).is_relative_to(args.root):
        parser.error("--target must lie inside --root")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: exit 0 with an ok result, 1 with a failed result."""
    args = parse_args(argv)
    work = copy if args.command == "copy" else clean
    return run(lambda: work(args), {"command": args.command}, args.termination_log)


if __name__ == "__main__":
    raise SystemExit(main())
