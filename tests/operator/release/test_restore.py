"""`python -m gitops.restore` on real SQLite files: round trip, schema policy, refusals."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from dbhelpers import Outcome, make_db, row_names, run_module, unshare_works
from gitops.dbfiles import sha256_file
from gitops.release.reasons import RESTORE_COMPLETED, RESTORE_SKIPPED
from support.reliability import record
from support.wording import repeated_clauses

HOLDER = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":  # an app using a rollback journal, in the middle of a write
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("BEGIN EXCLUSIVE")
else:
    conn.execute("SELECT count(*) FROM item").fetchone()
print("holding", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def setup(tmp_path: Path, snapshot_cmd):
    """A database with 40 rows at schema 1 and a snapshot of it; returns (db, snapshot path)."""
    db = make_db(tmp_path / "data" / "app.db", rows=40, version=1)
    out = snapshot_cmd()
    assert out.code == 0, out.result
    return db, tmp_path / "data" / "snapshots" / out.result["file"]


def _migrate(db: Path) -> None:
    """What a bad release does: change the schema and lose rows."""
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE item ADD COLUMN price INTEGER")
    conn.execute("DELETE FROM item WHERE id > 10")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()


def _restore(tmp_path: Path, db: Path, snap: Path, mode: str = "Always") -> Outcome:
    """Run the restore command."""
    args = ["--database", str(db), "--snapshot", str(snap), "--mode", mode]
    return run_module("gitops.restore", args, tmp_path / "restore-termination.log")


def _aside(snap: Path) -> list[str]:
    """Names of the failed-* files beside the snapshots."""
    return sorted(p.name for p in snap.parent.glob("failed-*"))


def test_round_trip_is_byte_identical_and_keeps_the_failed_database(tmp_path: Path, setup) -> None:
    db, snap = setup
    expected_rows = row_names(db)
    sidecar = json.loads(snap.with_suffix(".json").read_text())
    _migrate(db)
    out = _restore(tmp_path, db, snap)
    assert out.code == 0, out.result
    assert out.result["ok"] is True
    assert out.result["restored"] is True
    assert sha256_file(db) == sidecar["sha256"] == sha256_file(snap)
    assert row_names(db) == expected_rows
    aside = _aside(snap)
    assert aside
    assert aside[0].startswith("failed-")
    assert aside[0].endswith(".db")
    assert out.result["movedAside"][0] == aside[0]
    kept = sqlite3.connect(snap.parent / aside[0])
    assert kept.execute("PRAGMA user_version").fetchone()[0] == 2  # the failed data is kept
    kept.close()


def test_if_schema_changed_keeps_a_database_with_the_same_schema(tmp_path: Path, setup) -> None:
    db, snap = setup
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO item(name) VALUES ('written after the snapshot')")
    conn.commit()
    conn.close()
    before = row_names(db)
    out = _restore(tmp_path, db, snap, mode="IfSchemaChanged")
    assert out.code == 0, out.result
    assert out.result["restored"] is False
    assert "unchanged" in out.result["message"]
    said = RESTORE_SKIPPED.message(detail=out.result["message"])  # as the Release says it
    assert said == "database kept: schema version 1 unchanged since the snapshot"
    assert not repeated_clauses(said)
    assert row_names(db) == before
    assert _aside(snap) == []


def test_if_schema_changed_restores_a_migrated_database(tmp_path: Path, setup) -> None:
    db, snap = setup
    _migrate(db)
    out = _restore(tmp_path, db, snap, mode="IfSchemaChanged")
    assert out.result["restored"] is True
    assert (out.result["previousSchemaVersion"], out.result["schemaVersion"]) == (2, 1)
    said = RESTORE_COMPLETED.message(file=snap.name, detail=f": {out.result['message']}")
    assert said.startswith(f"database restored from {snap.name}: schema 2 -> 1; the database ")
    assert not repeated_clauses(said)
    assert len(row_names(db)) == 40


def test_restore_without_a_current_database(tmp_path: Path, setup) -> None:
    db, snap = setup
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    out = _restore(tmp_path, db, snap, mode="IfSchemaChanged")
    assert out.result["restored"] is True
    assert out.result["movedAside"] == []
    assert sha256_file(db) == sha256_file(snap)


@pytest.mark.parametrize(("hold", "words"), [("read", "open by another"), ("exclusive", "locked")])
def test_refuses_while_the_app_holds_the_database(
    tmp_path: Path, setup, hold: str, words: str
) -> None:
    db, snap = setup
    _migrate(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), hold],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        before = sha256_file(db)
        out = _restore(tmp_path, db, snap)
    finally:
        holder.communicate("done\n", timeout=10)
    assert out.code == 1
    assert out.result["ok"] is False
    assert words in out.result["error"]
    assert "stop the app" in out.result["error"]
    assert sha256_file(db) == before
    assert _aside(snap) == []


def test_tampered_snapshot_is_refused_and_nothing_moves(tmp_path: Path, setup) -> None:
    db, snap = setup
    _migrate(db)
    before = sha256_file(db)
    conn = sqlite3.connect(snap)
    conn.execute("DELETE FROM item")
    conn.commit()
    conn.close()
    out = _restore(tmp_path, db, snap)
    assert out.code == 1
    assert "differs from its sidecar" in out.result["error"]
    assert sha256_file(db) == before
    assert _aside(snap) == []


RESTORE_FULL = """
set -e
mount -t tmpfs -o "$6" tmpfs "$1"
cp -a "$2"/. "$1"/
before=$(sha256sum "$1/app.db" | cut -d' ' -f1)
set +e
"$3" -m gitops.restore --database "$1/app.db" --snapshot "$1/snapshots/$4" --mode Always \\
    --termination-log "$5"
echo "exit=$?"
after=$(sha256sum "$1/app.db" | cut -d' ' -f1)
[ "$before" = "$after" ] && echo "database=unchanged"
ls -a "$1" "$1/snapshots"
"""


def _restore_on_tmpfs(tmp_path: Path, db: Path, snap: Path, options: str) -> tuple[list[str], dict]:
    """Run the restore on a copy of the data folder in a private tmpfs; (listing, result)."""
    full, log = tmp_path / "full", tmp_path / "restore-full.log"
    full.mkdir()
    command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", RESTORE_FULL, "sh"]
    command += [str(full), str(db.parent), sys.executable, snap.name, str(log), options]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    listing = proc.stdout.split()
    assert "exit=1" in listing, proc.stdout + proc.stderr
    assert "database=unchanged" in listing
    assert not [n for n in listing if n.startswith("failed-") or n.endswith(".restoring")]
    return listing, json.loads(log.read_text())


def _rollback_journal(tmp_path: Path, snapshot_cmd) -> tuple[Path, Path]:
    """A migrated database in rollback-journal mode (no -wal/-shm to create) and its snapshot."""
    db = make_db(tmp_path / "data" / "app.db", rows=20000, wal=False)
    out = snapshot_cmd()
    _migrate(db)
    return db, tmp_path / "data" / "snapshots" / out.result["file"]


@pytest.mark.skipif(not unshare_works(), reason="needs unprivileged user+mount namespaces")
def test_a_full_volume_refuses_the_restore_before_anything_moves(
    tmp_path: Path, snapshot_cmd
) -> None:
    """A real small tmpfs: the copy would not fit, so nothing moves and the figures are said."""
    db, snap = _rollback_journal(tmp_path, snapshot_cmd)
    used = sum(p.stat().st_size for p in db.parent.rglob("*") if p.is_file())
    _, result = _restore_on_tmpfs(tmp_path, db, snap, f"size={used // 1024 + 96}k")
    assert result["ok"] is False
    assert "not enough space on the volume for restoring" in result["error"]
    assert "free" in result["error"]
    assert "nothing was copied" in result["error"]


@pytest.mark.skipif(not unshare_works(), reason="needs unprivileged user+mount namespaces")
def test_disk_full_during_restore_puts_the_database_back(tmp_path: Path, snapshot_cmd) -> None:
    """ENOSPC for real after the move: bytes are free but no inode is, so the copy cannot be
    created; the moved-aside database returns."""
    db, snap = _rollback_journal(tmp_path, snapshot_cmd)
    entries = len(list(db.parent.rglob("*"))) + 1  # and the tmpfs root
    _, result = _restore_on_tmpfs(tmp_path, db, snap, f"size=64m,nr_inodes={entries}")
    error = result.get("error", "")
    put_back = "no space left" in error and ".app.db.restoring" in error  # after the move
    case = "the disk full during a restore (the restore Job's program on a full tmpfs)"
    record("process", case=case, ok=result["ok"] is False and put_back, status=error)
    assert result["ok"] is False
    assert "no space left" in result["error"]
    assert ".app.db.restoring" in result["error"]  # it failed after the move: put back
