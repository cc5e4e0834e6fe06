"""`python -m gitops.snapshot` on real SQLite files: result, sidecar, pruning, errors."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dbhelpers import make_db, row_names, unshare_works
from gitops import snapshot
from gitops.dbfiles import sha256_file
from support.reliability import bad_input

NAME_RE = re.compile(r"^mfb-\d{8}T\d{6}Z-v1\.db$")


def test_snapshot_writes_copy_sidecar_and_termination_message(tmp_path: Path, snapshot_cmd) -> None:
    db = make_db(tmp_path / "data" / "app.db", rows=30, version=4)
    out = snapshot_cmd("--keep", "3")
    assert out.code == 0, out.stderr
    result = out.result
    assert result["ok"] is True
    assert json.loads(out.stdout.strip().splitlines()[-1]) == result
    copy = tmp_path / "data" / "snapshots" / result["file"]
    assert NAME_RE.match(copy.name)
    sidecar = json.loads(copy.with_suffix(".json").read_text())
    assert sidecar["sha256"] == sha256_file(copy) == result["sha256"]
    assert sidecar["sizeBytes"] == copy.stat().st_size
    assert copy.stat().st_mode & 0o777 == 0o640  # the app's data is not world-readable
    assert (sidecar["schemaVersion"], sidecar["image"]) == (4, "reg/app:v1")
    assert sidecar["takenAt"].endswith("Z")
    assert row_names(copy) == row_names(db)
    assert len(result["sha256"]) == 64


def _args(tmp_path: Path, keep: int, protect: tuple[str, ...] = ()) -> argparse.Namespace:
    """Arguments for snapshot.take on tmp_path/data."""
    argv = ["--database", str(tmp_path / "data" / "app.db")]
    argv += ["--directory", str(tmp_path / "data" / "snapshots"), "--release", "mfb"]
    argv += ["--image", "reg/app:v1", "--keep", str(keep)]
    for name in protect:
        argv += ["--protect", name]
    return snapshot.parse_args(argv)


def _take_series(tmp_path: Path, count: int, keep: int, protect: tuple[str, ...] = ()) -> list[str]:
    """Take `count` snapshots a minute apart; return their file names, oldest first."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    names = []
    for i in range(count):
        result = snapshot.take(_args(tmp_path, keep, protect), start + timedelta(minutes=i))
        names.append(result["file"])
    return names


def _files(tmp_path: Path) -> set[str]:
    """Names in the snapshot directory."""
    return {p.name for p in (tmp_path / "data" / "snapshots").iterdir()}


def test_prune_keeps_newest_and_protected_and_foreign_files(tmp_path: Path) -> None:
    make_db(tmp_path / "data" / "app.db")
    directory = tmp_path / "data" / "snapshots"
    directory.mkdir(parents=True)
    (directory / "failed-20250101T000000Z.db").write_bytes(b"failed database")
    (directory / "hand-made.db").write_bytes(b"no sidecar: not ours")
    names = _take_series(tmp_path, 3, keep=5)
    other = snapshot.take(
        argparse.Namespace(**{**vars(_args(tmp_path, 5)), "release": "other"}),
        datetime(2025, 6, 1, tzinfo=UTC),
    )["file"]
    later = snapshot.take(_args(tmp_path, 2, protect=(names[0],)), datetime(2026, 2, 1, tzinfo=UTC))
    files = _files(tmp_path)
    assert names[0] in files  # protected (status points to it)
    assert names[1] not in files
    assert f"{names[1][:-3]}.json" not in files
    assert {names[2], later["file"], other, "failed-20250101T000000Z.db", "hand-made.db"} <= files
    assert later["pruned"] == [names[1]]


def test_a_copy_a_killed_run_left_half_written_goes_with_the_next_snapshot(
    tmp_path: Path,
) -> None:
    make_db(tmp_path / "data" / "app.db")
    directory = tmp_path / "data" / "snapshots"
    directory.mkdir(parents=True)
    ours = [".mfb-20250101T000000Z-v1.db.partial", ".mfb-scheduled-20250102T030000Z-v1.db.partial"]
    theirs = [".mfb-x-20250101T000000Z-v1.db.partial", ".other-20250101T000000Z-v1.db.partial",
              ".mfb-notes.partial"]  # fmt: skip
    for name in ours + theirs:
        (directory / name).write_bytes(b"half a copy")
    result = snapshot.take(_args(tmp_path, 5), datetime(2026, 3, 1, tzinfo=UTC))
    assert result["removedPartials"] == sorted(ours)
    assert result["message"].endswith("; removed 2 partial copies a stopped run left")
    assert set(theirs) <= _files(tmp_path)
    assert not set(ours) & _files(tmp_path)
    again = snapshot.take(_args(tmp_path, 5), datetime(2026, 3, 2, tzinfo=UTC))
    assert again["removedPartials"] == []
    assert "partial" not in again["message"]


def test_keep_below_one_is_refused_before_anything_runs() -> None:
    argv = ["--database", "a", "--directory", "b", "--release", "r", "--image", "i"]
    with pytest.raises(SystemExit):
        snapshot.parse_args([*argv, "--keep", "0"])


def test_keep_one_leaves_only_the_new_snapshot(tmp_path: Path) -> None:
    make_db(tmp_path / "data" / "app.db")
    names = _take_series(tmp_path, 4, keep=1)
    assert {n for n in _files(tmp_path) if n.endswith(".db")} == {names[-1]}


def test_missing_database_is_a_failed_result_and_deletes_nothing(
    tmp_path: Path, snapshot_cmd
) -> None:
    make_db(tmp_path / "data" / "app.db")
    names = _take_series(tmp_path, 3, keep=3)
    (tmp_path / "data" / "app.db").unlink()
    out = snapshot_cmd("--keep", "1")
    assert out.code == 1
    assert out.result["ok"] is False
    assert "does not exist" in out.result["error"]
    assert "spec.snapshot.databasePath" in out.result["error"]
    assert set(names) <= _files(tmp_path)
    assert not (tmp_path / "data" / "app.db").exists()  # never created by the attempt


def test_unreadable_database_is_a_failed_result_and_deletes_nothing(
    tmp_path: Path, snapshot_cmd
) -> None:
    make_db(tmp_path / "data" / "app.db")
    names = _take_series(tmp_path, 2, keep=2)
    before = _files(tmp_path)
    (tmp_path / "data" / "app.db").write_bytes(b"this is not a SQLite database " * 200)
    out = snapshot_cmd("--keep", "1")
    given = "a database file that is not SQLite (text)"
    kept = (tmp_path / "data" / "app.db").read_bytes() == b"this is not a SQLite database " * 200
    unchanged = kept and _files(tmp_path) == before
    bad_input("snapshot Job", given, out.result["error"], unchanged=unchanged)
    assert kept
    assert out.code == 1
    assert out.result["ok"] is False
    assert "not a SQLite database" in out.result["error"]
    assert _files(tmp_path) == before
    assert set(names) <= before


def test_long_results_fit_the_termination_message(tmp_path: Path, snapshot_cmd) -> None:
    """The kubelet keeps 4096 bytes: the pruned list is dropped there, kept on stdout."""
    make_db(tmp_path / "data" / "app.db")
    names = _take_series(tmp_path, 150, keep=300)
    out = snapshot_cmd("--keep", "1")
    assert out.code == 0, out.stderr
    printed = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(out.stdout) > 4096
    assert sorted(printed["pruned"]) == sorted(names)
    log = tmp_path / "snapshot-termination.log"
    assert len(log.read_bytes()) <= 4096
    assert "pruned" not in out.result
    assert out.result["file"] == printed["file"]
    assert out.result["ok"] is True


def _as_another_user() -> list[str]:
    """A command prefix that runs without access to root's files ([] when not root)."""
    if os.geteuid() != 0:
        return []
    if not unshare_works():
        pytest.skip("running as root without user namespaces: cannot make a file unreadable")
    return ["unshare", "--user"]  # unmapped: the process runs as the overflow user (nobody)


def test_database_without_permission_is_a_failed_result() -> None:
    base = Path(tempfile.mkdtemp(prefix="release-perm-", dir="/tmp"))
    try:
        base.chmod(0o755)
        db = make_db(base / "app.db")
        db.chmod(0o000)
        (base / "snapshots").mkdir(mode=0o777)
        (base / "snapshots").chmod(0o777)
        log = base / "snapshots" / "termination.log"
        args = ["--database", str(db), "--directory", str(base / "snapshots"), "--release", "mfb"]
        args += ["--image", "reg/app:v1", "--termination-log", str(log)]
        command = [*_as_another_user(), sys.executable, "-m", "gitops.snapshot", *args]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 1, proc.stderr
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["ok"] is False
        assert "permission denied" in result["error"]
        assert "runAsUser/fsGroup" in result["error"]
        assert [p.name for p in (base / "snapshots").iterdir()] == ["termination.log"]
    finally:
        shutil.rmtree(base)
