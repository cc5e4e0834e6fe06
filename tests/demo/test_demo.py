"""`make demo` from end to end: the README's second command, on a real sandbox and operator.

Sandbox-only by design and independent of the `cluster` fixture (so `--kubeconfig` does not
apply): the demo starts and stops its own sandbox, whose Node's InternalIP is 127.0.0.1, so the
dev Service's NodePort (allocated by the sandbox) answers there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def answers(url: str) -> bool:
    """Whether anything answers HTTP at url."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


@pytest.mark.slow
def test_demo_deploys_the_app_through_the_gitsync_and_stops_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "DEMO_DIR": str(tmp_path / "demo"), "DEMO_EXIT": "1"}
    done = subprocess.run(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    version_line = next(line for line in done.stdout.splitlines() if line.startswith("{"))
    version = json.loads(version_line)
    assert version["image"] == "ghcr.io/owner/myfoodbudget:dev"
    ready_row = r"release\.gitops\.myfoodbudget\.dev/myfoodbudget\s+dev\s+dev\s+Ready"
    assert re.search(ready_row, done.stdout)
    assert "condition met" in done.stdout
    app = re.search(r"^MyFoodBudget: (http://127\.0\.0\.1:\d+)/$", done.stdout, re.MULTILINE)
    assert app, done.stdout
    # Everything the demo started is gone once it exits: the NodePort no longer answers.
    assert not answers(f"{app[1]}/healthz")
