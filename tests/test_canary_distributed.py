"""The canary search in a run spread over workers (make test's `-n`): each worker searches what
it saw, the controller reports their leaks and fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import reliability

TESTS = Path(__file__).resolve().parent
# A folder of its own with the suite's hooks (loaded from tests/conftest.py under another name:
# pytest would take a second module named conftest for the same one).
CONFTEST = f"""
import importlib.util, sys
sys.path.insert(0, {str(TESTS)!r})
spec = importlib.util.spec_from_file_location("suite_conftest", {str(TESTS / "conftest.py")!r})
suite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite)
globals().update({{k: v for k, v in vars(suite).items() if k.startswith("pytest_")}})
"""
LEAKY = """
from support import canary

def test_prints_a_secret():
    print("token:", canary.CANARIES["git-token"])

def test_quiet():
    assert True
"""
QUIET = """
def test_one():
    assert True

def test_two():
    assert True
"""


def run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    """pytest -n 2 over one test file with the suite's hooks, records in tmp_path/records."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_it.py").write_text(body)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["RELIABILITY_DIR"] = str(tmp_path / "records")
    options = ["-n", "2", "-p", "xdist", "-q", "-p", "no:cacheprovider", "-c", "/dev/null"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip


@pytest.mark.slow
def test_a_leak_seen_by_a_worker_fails_the_run_and_is_reported_redacted(tmp_path: Path) -> None:
    done = run(tmp_path, LEAKY)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    [leak] = [line for line in done.stdout.splitlines() if line.startswith("canary leaked:")]
    assert "git-token" in leak
    assert "token: [canary]" in leak  # the value itself is never repeated
    assert "canary: 1 lines show a Secret's value; the run fails" in done.stdout
    rows = reliability.rows("canary", tmp_path / "records")
    assert len(rows) == 2  # one per worker
    assert sum(row["leaked"] for row in rows) == 1


@pytest.mark.slow
def test_a_clean_distributed_run_passes_with_a_row_per_worker(tmp_path: Path) -> None:
    done = run(tmp_path, QUIET)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "canary" not in done.stdout
    rows = reliability.rows("canary", tmp_path / "records")
    assert [row["leaked"] for row in rows] == [0, 0]
    assert all(row["lines"] >= 0 and row["sources"] >= 0 for row in rows)
