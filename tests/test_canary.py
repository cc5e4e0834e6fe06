"""The canary search itself: it finds a canary wherever it was put, in any form it leaks in."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from support import canary, reliability


def test_every_form_of_a_canary_is_found_in_texts_files_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELIABILITY_DIR", str(tmp_path / "records"))
    value = canary.CANARIES["restic-password"]
    found = canary.Collector()
    found.add_text("clean", "nothing here\nnor here")
    found.add_text("plain", f"line one\nrestic: password {value} refused")
    (tmp_path / "op.log").write_text("ok\n" + base64.b64encode(value.encode()).decode() + "\n")
    found.add_file("operator log", tmp_path / "op.log")
    found.add_file("operator log again", tmp_path / "op.log")  # read once
    (tmp_path / "pods" / "p").mkdir(parents=True)
    (tmp_path / "pods" / "p" / "app.log").write_text(f"key ...{value[-16:]}\n")
    found.add_folder("pod logs", tmp_path, "pods/*/*.log")
    said: list[str] = []
    assert canary.finish(said.append, found) is False
    [row] = reliability.rows("canary")
    assert (row["sources"], row["lines"], row["leaked"]) == (4, 7, 3)
    assert len(said) == 4
    assert all("restic-password" in line for line in said[:3])
    assert said[3] == "canary: 3 lines show a Secret's value; the run fails"
    assert not canary.leaks(" ".join(said)), "the report repeats the canary"
    assert "restic: password [canary] refused" in " ".join(said)


def test_a_clean_run_records_no_leak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELIABILITY_DIR", str(tmp_path / "records"))
    found = canary.Collector()
    found.add_text("clean", "canary-but-not-one-of-ours\n" * 3)
    assert canary.finish(print, found) is True
    assert reliability.rows("canary") == [
        {"section": "canary", "sources": 1, "lines": 3, "leaked": 0}
    ]
    assert set(canary.CANARIES) == {
        "git-token",
        "notify-token",
        "notify-password",
        "restic-password",
        "secret-key",
    }
