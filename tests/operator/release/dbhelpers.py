"""Real SQLite files and the snapshot/restore commands, for the Release tests."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.canary import COLLECTOR


def make_db(path: Path, rows: int = 50, version: int = 1, *, wal: bool = True) -> Path:
    """A SQLite database with `rows` items and user_version `version`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS item(id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    conn.executemany("INSERT INTO item(name) VALUES (?)", ((f"item {i}",) for i in range(rows)))
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    return path


def row_names(path: Path) -> list[str]:
    """All item names of a database, in id order."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT name FROM item ORDER BY id")]
    finally:
        conn.close()


@dataclass
class Outcome:
    """What a snapshot/restore command left: exit code, termination message, stdout."""

    code: int
    result: dict[str, Any]
    stdout: str
    stderr: str


def run_module(module: str, args: list[str], log: Path) -> Outcome:
    """Run `python -m module args` as its own process, like the Job does."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *args, "--termination-log", str(log)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    result = json.loads(log.read_text()) if log.exists() else {}
    COLLECTOR.add_text(f"python -m {module} (a Job's output)", proc.stdout + proc.stderr)
    COLLECTOR.add_text(f"python -m {module} (a Job's termination message)", json.dumps(result))
    return Outcome(proc.returncode, result, proc.stdout, proc.stderr)


def unshare_works() -> bool:
    """Can this machine mount a private tmpfs in a user namespace?"""
    if shutil.which("unshare") is None:
        return False
    probe = ["unshare", "--user", "--map-root-user", "--mount", "true"]
    return subprocess.run(probe, capture_output=True, timeout=10, check=False).returncode == 0
