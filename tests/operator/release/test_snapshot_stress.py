"""Snapshots under a concurrent writer process, and on a full volume (real ENOSPC)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dbhelpers import make_db, unshare_works
from gitops import snapshot
from gitops.dbfiles import inspect
from support.reliability import record

WRITER = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
n = 0
while True:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO item(name) VALUES (?)", (f"written {n} " + "x" * 150,))
    conn.execute("UPDATE counter SET total = total + 1")
    conn.execute("COMMIT")
    n += 1
"""


def _count(path: Path) -> tuple[int, int, int]:
    """(rows, counter.total, max id) as committed now."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows, top = conn.execute("SELECT count(*), coalesce(max(id), 0) FROM item").fetchone()
        total = conn.execute("SELECT total FROM counter").fetchone()[0]
    finally:
        conn.close()
    return rows, total, top


def _wait_for_growth(path: Path, writer: subprocess.Popen[bytes], deadline: float) -> None:
    """Wait until the writer has committed a few transactions."""
    first = _count(path)[0]
    while _count(path)[0] < first + 50:
        assert writer.poll() is None, "the writer process died"
        assert time.monotonic() < deadline, "the writer made no progress"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["backup", "vacuum"])
def test_copies_are_consistent_while_another_process_writes(
    tmp_path: Path, snapshot_cmd, method: str
) -> None:
    db = make_db(tmp_path / "data" / "app.db", rows=20000)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE counter(total INTEGER NOT NULL)")
    conn.execute("INSERT INTO counter VALUES (20000)")
    conn.commit()
    conn.close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)])
    try:
        _wait_for_growth(db, writer, time.monotonic() + 30)
        for _ in range(3):
            committed_before = _count(db)[2]
            out = snapshot_cmd("--keep", "10", "--method", method)
            assert out.code == 0, out.result
            copy = tmp_path / "data" / "snapshots" / out.result["file"]
            rows, total, top = _count(copy)
            assert top >= committed_before  # every row committed before the copy began is in it
            assert rows == total == top  # whole transactions only, no gaps
            assert inspect(copy)[0] == "ok"
        assert writer.poll() is None  # the writer kept committing around the copies
        _wait_for_growth(db, writer, time.monotonic() + 30)
    finally:
        writer.kill()
        writer.wait()


DISK_FULL = """
set -e
mount -t tmpfs -o "$6" tmpfs "$1"
cp "$2"/* "$1"/
set +e
"$3" -m gitops.snapshot --database "$4" --directory "$1" --release mfb --image reg/app:v2 \\
    --keep 1 --termination-log "$5"
echo "exit=$?"
ls -a "$1"
"""


def _snapshot_on_tmpfs(tmp_path: Path, options: str) -> tuple[str, list[str], dict]:
    """A snapshot of a 1 MB database into a tmpfs holding an older one: (old, listing, result)."""
    old_dir, full_dir = tmp_path / "old", tmp_path / "full"
    full_dir.mkdir()
    make_db(tmp_path / "small.db", rows=5)
    args = ["--database", str(tmp_path / "small.db"), "--directory", str(old_dir)]
    args += ["--release", "mfb", "--image", "reg/app:v1", "--keep", "5"]
    old = snapshot.take(snapshot.parse_args(args), datetime(2026, 1, 1, tzinfo=UTC))["file"]
    big = make_db(tmp_path / "big.db", rows=60000)  # about 1 MB
    log = tmp_path / "termination.log"
    command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", DISK_FULL, "sh"]
    command += [str(full_dir), str(old_dir), sys.executable, str(big), str(log), options]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    listing = proc.stdout.split()
    assert "exit=1" in listing
    assert old in listing
    assert old.replace(".db", ".json") in listing
    assert not [name for name in listing if name.endswith(".partial")]  # no half copy left
    return old, listing, json.loads(log.read_text())


@pytest.mark.skipif(not unshare_works(), reason="needs unprivileged user+mount namespaces")
def test_a_copy_that_cannot_fit_is_refused_with_the_figures(tmp_path: Path) -> None:
    """A real 192 KiB tmpfs: the check before copying refuses, saying what it needs and has."""
    _, _, result = _snapshot_on_tmpfs(tmp_path, "size=192k")
    assert result["ok"] is False
    assert "not enough space on the volume for a copy of big.db" in result["error"]
    assert "KiB is free" in result["error"]
    assert "nothing was copied" in result["error"]
    assert 0 < result["disk"]["freeBytes"] < 192 * 1024  # the figures come with the result


@pytest.mark.skipif(not unshare_works(), reason="needs unprivileged user+mount namespaces")
def test_disk_full_is_a_failed_result_and_deletes_nothing(tmp_path: Path) -> None:
    """ENOSPC for real while copying: bytes are free but no inode is left for the copy."""
    _, _, result = _snapshot_on_tmpfs(tmp_path, "size=64m,nr_inodes=3")
    full = "the volume may be full (no space or no inode left)" in result.get("error", "")
    case = "the disk full during a snapshot (the snapshot Job's program on a full tmpfs)"
    record("process", case=case, ok=result["ok"] is False and full, status=result.get("error"))
    assert result["ok"] is False
    assert full, result
