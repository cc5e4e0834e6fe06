"""Records the reliability tests leave, from which scripts/reliability_docs.py writes the docs.

`record(section, **row)` appends one JSON line to `$RELIABILITY_DIR/<section>.jsonl`
(default `<repo>/.reliability/`, git-ignored, emptied at the start of each pytest session).
A row holds only JSON values and never a secret: what the user sees, not what they typed
into a Secret.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("crash", "faults", "process", "rows", "bad_input", "canary", "fuzz")
SECTION_NAME = re.compile(r"^[a-z_]+$")


def folder() -> Path:
    """Where the records go: $RELIABILITY_DIR, or .reliability/ at the top of the repository."""
    return Path(os.environ.get("RELIABILITY_DIR") or ROOT / ".reliability")


def record(section: str, **row: Any) -> None:
    """Append one row to the section's file (one JSON object per line, section first)."""
    if not SECTION_NAME.match(section):
        raise ValueError(f"section {section!r}: use lowercase letters and _ (e.g. bad_input)")
    line = json.dumps({"section": section, **row}, sort_keys=False, default=_refuse)
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    with (target / f"{section}.jsonl").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def _refuse(value: Any) -> Any:
    """json.dumps' fallback: a row holds JSON values only."""
    raise TypeError(f"a reliability row holds JSON values only, got {type(value).__name__}")


def reset() -> None:
    """Empty the folder (the pytest main process, at session start)."""
    target = folder()
    if target.is_dir():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)


def rows(section: str, where: Path | None = None) -> list[dict[str, Any]]:
    """The rows recorded for a section, in order (none when the file is absent)."""
    path = (where or folder()) / f"{section}.jsonl"
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def bad_input(area: str, given: str, message: str, *, unchanged: bool, namespace: str = "") -> None:
    """One row of the catalogue of bad inputs: where, what was given, what the user was told
    (the test's namespace, which differs at each run, shown as <namespace>), and whether
    everything the test compared was the same afterwards."""
    shown = message.replace(namespace, "<namespace>") if namespace else message
    record("bad_input", area=area, input=given, message=shown, unchanged=unchanged)
