"""`python -m gitops.vacuum` on a real SQLite file: the bytes it gives back, the rows it keeps."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dbhelpers import make_db, row_names, run_module


def test_vacuum_gives_back_the_space_of_deleted_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", rows=20000)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM item WHERE id % 2 = 0")
    conn.commit()
    conn.close()
    kept = row_names(db)
    out = run_module("gitops.vacuum", ["--database", str(db)], tmp_path / "vacuum.log")
    assert out.code == 0, out.result
    result = out.result
    assert result["reclaimedBytes"] > 0
    assert result["sizeAfterBytes"] == db.stat().st_size < result["sizeBeforeBytes"]
    assert f"gave back {result['reclaimedBytes']} bytes" in result["message"]
    assert result["disk"]["freeBytes"] > 0
    assert row_names(db) == kept


def test_vacuum_of_a_missing_database_is_a_failed_result(tmp_path: Path) -> None:
    out = run_module("gitops.vacuum", ["--database", str(tmp_path / "none.db")], tmp_path / "v.log")
    assert out.code == 1
    assert "does not exist" in out.result["error"]
