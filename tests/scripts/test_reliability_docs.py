"""scripts/reliability_docs.py run as `make test` runs it, on records written by `record`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import reliability

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "reliability_docs.py"


def docs(records: Path, doc: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The script, with its records and its doc somewhere of the test's own."""
    command = [sys.executable, str(SCRIPT), "--records", str(records), "--doc", str(doc), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty RELIABILITY_DIR that `record` writes to."""
    folder = tmp_path / "records"
    monkeypatch.setenv("RELIABILITY_DIR", str(folder))
    reliability.reset()
    return folder


def full_run() -> None:
    """Rows of every section, as a whole run leaves them (one crash step did not survive)."""
    record = reliability.record
    record("crash", controller="Release", step="Snapshotting", survived=True, detail="same")
    record("crash", controller="Release", step="RollingOut", survived=False, detail="two Jobs")
    record("crash", controller="GitSync", step="apply", survived=True, detail="same")
    for run in range(3):
        record("faults", kind="release", run=run, converged=run != 2, outcome="RolledBack")
    record("process", case="disk full during a snapshot", ok=True, status="Failed: disk full")
    record("rows", case="rollback with restore", lost=0)
    record("rows", case="sigkill", lost=2)
    message = "spec.replicas: Invalid value: -1: should be >= 0 (port 127.0.0.1:40123)"
    record("bad_input", area="Release spec", input="replicas -1", message=message, unchanged=True)
    record("bad_input", area="GitSync", input="a | b", message="x", unchanged=False)
    record("canary", sources=12, lines=3400, leaked=0)
    record("fuzz", requests=570, operations=19, server_errors=0)


def test_record_appends_json_lines_and_refuses_what_is_not_json(records: Path) -> None:
    reliability.record("rows", case="a", lost=0)
    reliability.record("rows", case="b", lost=1)
    assert reliability.rows("rows") == [
        {"section": "rows", "case": "a", "lost": 0},
        {"section": "rows", "case": "b", "lost": 1},
    ]
    with pytest.raises(TypeError, match="JSON values only"):
        reliability.record("rows", case=object())
    with pytest.raises(ValueError, match="lowercase"):
        reliability.record("../rows", case="c")
    assert sorted(p.name for p in records.iterdir()) == ["rows.jsonl"]
    reliability.reset()
    assert reliability.rows("rows") == []


def test_the_figures_tables_and_what_varies_blanked(records: Path, tmp_path: Path) -> None:
    full_run()
    doc = tmp_path / "reliability.md"
    assert docs(records, doc).returncode == 0
    text = doc.read_text()
    assert "| Steps killed (SIGKILL) and survived | 2/3 |" in text
    assert "| Faulty runs converged | 2/3 |" in text
    assert "| Bad inputs refused | 2, 1 of them changed something |" in text
    assert "| Rows lost | 2 |" in text
    assert "| Canaries leaked | 0 (searched 3400 lines from 12 sources) |" in text
    assert "| Fuzzed requests | 570 over 19 operations |" in text
    assert "| Server errors while fuzzing | 0 |" in text
    assert "| Release | RollingOut | 0/1 | two Jobs |" in text
    assert "should be >= 0 (port 127.0.0.1:<port>) | yes |" in text
    assert "| GitSync | a \\| b | x | NO |" in text
    assert text.count("not run") == 1, "only the introduction says it"


def test_a_section_without_records_reads_not_run(records: Path, tmp_path: Path) -> None:
    reliability.record("fuzz", requests=10, operations=2, server_errors=0)
    doc = tmp_path / "reliability.md"
    assert docs(records, doc).returncode == 0
    text = doc.read_text()
    assert "| Steps killed (SIGKILL) and survived | not run |" in text
    assert "| Bad inputs refused | not run |" in text
    assert "0/0" not in text
    assert "| Fuzzed requests | 10 over 2 operations |" in text


def test_check_fails_on_a_new_bad_input_or_step_but_not_on_figures(
    records: Path, tmp_path: Path
) -> None:
    full_run()
    doc = tmp_path / "reliability.md"
    assert docs(records, doc, "--check").returncode == 1  # no doc yet
    docs(records, doc)
    assert docs(records, doc, "--check").returncode == 0
    reliability.record("fuzz", requests=999, operations=19, server_errors=0)
    reliability.record("crash", controller="GitSync", step="apply", survived=True, detail="new")
    assert docs(records, doc, "--check").returncode == 0, "figures and details are not compared"
    reliability.record("bad_input", area="Secret", input="no key", message="m", unchanged=True)
    checked = docs(records, doc, "--check")
    assert checked.returncode == 1
    assert "the table of bad inputs" in checked.stderr
    assert "make reliability" in checked.stderr
    docs(records, doc)
    reliability.record("crash", controller="GitSync", step="prune", survived=True, detail="")
    checked = docs(records, doc, "--check")
    assert (checked.returncode, "the list of crash steps" in checked.stderr) == (1, True)


def test_the_committed_doc_is_the_generators_and_names_every_figure() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text()
    assert text.startswith("# Reliability, in figures\n")
    for figure in ("Steps killed", "Faulty runs converged", "Bad inputs refused", "Rows lost"):
        assert f"| {figure}" in text
    assert "<!-- bad-inputs:start -->" in text
    assert "<!-- crash-steps:start -->" in text


def test_a_commit_of_digits_only_is_blanked_as_any_other() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        from reliability_docs import stable
    finally:
        sys.path.remove(str(SCRIPT.parent))
    for commit in ("125462429660", "106da864efd6"):
        assert stable(f"Nothing applied; commit {commit} cannot be applied") == (
            "Nothing applied; commit <id> cannot be applied"
        )
