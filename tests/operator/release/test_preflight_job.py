"""`python -m gitops.preflight copy|clean` on real SQLite files: the preflight's scratch copy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from dbhelpers import make_db, row_names, run_module
from gitops import preflight


def copy(tmp_path: Path, source: Path, folder: str, prefix: str = "mfb-preflight-") -> list[str]:
    """Arguments of a copy into tmp_path/data/preflight/<folder>/app.db."""
    root = tmp_path / "data" / "preflight"
    return [
        "copy", "--source", str(source), "--target", str(root / folder / "app.db"),
        "--root", str(root), "--prefix", prefix,
    ]  # fmt: skip


def test_the_copy_is_consistent_while_the_app_writes_and_leaves_the_live_file_alone(
    tmp_path: Path,
) -> None:
    live = make_db(tmp_path / "data" / "app.db", rows=40, version=3)
    writer = sqlite3.connect(live)  # the serving version, mid-transaction on the live file
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO item(name) VALUES ('uncommitted')")
    try:
        out = run_module(
            "gitops.preflight", copy(tmp_path, live, "mfb-preflight-2-abcde"), tmp_path / "log"
        )
    finally:
        writer.rollback()
        writer.close()
    assert out.code == 0, out.stderr
    target = tmp_path / "data" / "preflight" / "mfb-preflight-2-abcde" / "app.db"
    assert (out.result["ok"], out.result["schemaVersion"], out.result["command"]) == (
        True,
        3,
        "copy",
    )
    assert row_names(target) == row_names(live)  # the committed rows, not the open transaction
    assert "uncommitted" not in row_names(target)
    assert target.stat().st_mode & 0o777 == 0o660
    assert target.parent.stat().st_mode & 0o777 == 0o770


def test_earlier_preflights_of_the_same_release_are_removed_and_others_kept(tmp_path: Path) -> None:
    live = make_db(tmp_path / "data" / "app.db")
    root = tmp_path / "data" / "preflight"
    for stale in ("mfb-preflight-1-aaaaa", "other-preflight-1-bbbbb"):
        (root / stale).mkdir(parents=True)
        (root / stale / "app.db").write_text("old")
    out = run_module(
        "gitops.preflight", copy(tmp_path, live, "mfb-preflight-2-ccccc"), tmp_path / "log"
    )
    assert out.code == 0, out.stderr
    assert out.result["removed"] == ["mfb-preflight-1-aaaaa"]
    assert sorted(p.name for p in root.iterdir()) == [
        "mfb-preflight-2-ccccc",
        "other-preflight-1-bbbbb",
    ]


def test_clean_reads_the_schema_the_new_image_left_then_removes_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "preflight" / "mfb-preflight-2-abcde"
    copied = make_db(folder / "app.db", version=3)
    migrated = sqlite3.connect(copied)  # the new image's migration, left in the WAL
    migrated.execute("PRAGMA wal_autocheckpoint = 0")
    migrated.execute("CREATE TABLE extra(id INTEGER PRIMARY KEY)")
    migrated.execute("PRAGMA user_version = 4")
    migrated.commit()
    args = ["clean", "--folder", str(folder), "--database", str(copied)]
    out = run_module("gitops.preflight", args, tmp_path / "log")
    migrated.close()
    assert out.code == 0, out.stderr
    assert (out.result["ok"], out.result["schemaVersion"]) == (True, 4)
    assert not folder.exists()
    assert folder.parent.is_dir()


def test_clean_without_a_copy_reports_no_schema_and_succeeds(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "preflight" / "mfb-preflight-2-abcde"
    args = ["clean", "--folder", str(folder), "--database", str(folder / "app.db")]
    out = run_module("gitops.preflight", args, tmp_path / "log")
    assert (out.code, out.result["ok"], out.result["schemaVersion"]) == (0, True, None)


def test_a_missing_database_is_a_failed_result_that_says_what_to_check(tmp_path: Path) -> None:
    args = copy(tmp_path, tmp_path / "data" / "nothing.db", "mfb-preflight-2-abcde")
    out = run_module("gitops.preflight", args, tmp_path / "log")
    assert (out.code, out.result["ok"]) == (1, False)
    assert "does not exist: check spec.snapshot" in out.result["error"]
    assert not (tmp_path / "data" / "preflight").exists()


def test_a_target_outside_the_preflight_folder_is_refused() -> None:
    with pytest.raises(SystemExit):
        preflight.parse_args(
            [
                "copy",
                "--source",
                "/data/a.db",
                "--target",
                "/data/app.db",
                "--root",
                "/data/preflight",
                "--prefix",
                "x-",
            ]
        )
