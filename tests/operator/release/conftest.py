"""Fixtures for the Release tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dbhelpers import Outcome, run_module


@pytest.fixture
def snapshot_cmd(tmp_path: Path) -> Callable[..., Outcome]:
    """Run `python -m gitops.snapshot` on tmp_path/data/app.db into tmp_path/data/snapshots."""

    def run(*extra: str, database: Path | None = None, image: str = "reg/app:v1") -> Outcome:
        db = database or tmp_path / "data" / "app.db"
        args = ["--database", str(db), "--directory", str(tmp_path / "data" / "snapshots")]
        args += ["--release", "mfb", "--image", image, *extra]
        return run_module("gitops.snapshot", args, tmp_path / "snapshot-termination.log")

    (tmp_path / "data").mkdir(exist_ok=True)
    return run
