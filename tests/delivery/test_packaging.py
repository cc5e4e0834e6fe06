"""The project builds as pip builds it for `make venv` (and so `make run`): setuptools finds
the app's static files and templates as package data and warns about nothing it left out."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def source_copy(target: Path) -> Path:
    """What the build reads, copied (setuptools writes build/ and *.egg-info/ beside it)."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.db")
    for folder in ("app", "operator", "sandbox"):
        shutil.copytree(ROOT / folder, target / folder, ignore=skip)
    return target


@pytest.mark.slow
def test_the_wheel_carries_static_files_and_templates_without_warnings(tmp_path: Path) -> None:
    source = source_copy(tmp_path / "source")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-v",
         "-w", str(tmp_path / "wheels"), str(source)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stdout + done.stderr
    assert "running build_py" in output  # setuptools' own output is in what was read
    assert "is absent from the `packages` configuration" not in output
    [wheel] = (tmp_path / "wheels").glob("myfoodbudget-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    static = {p.relative_to(ROOT).as_posix() for p in (ROOT / "app" / "static").rglob("*.*")}
    templates = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "app" / "templates").rglob("*.html")
    }
    assert static
    assert templates
    assert static | templates <= set(names)
