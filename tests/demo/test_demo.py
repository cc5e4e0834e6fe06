"""`make demo` from end to end: the README's second command, on a real sandbox and operator.

Sandbox-only by design and independent of the `cluster` fixture (so `--kubeconfig` does not
apply): the demo starts and stops its own sandbox, whose Node's InternalIP is 127.0.0.1, so the
dev Service's NodePort (allocated by the sandbox) answers there. It runs on the docker runtime
when the engine holds the images (make test), else on the process runtime. The test uses it as
a newcomer would: reads what it prints, runs the commands it suggests, then presses Ctrl-C
(SIGINT to the script, as the terminal sends it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from polling import wait_for
from support.engine import engine_environment, left_behind
from support.sandbox import free_port

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"


def answers(url: str) -> bool:
    """Whether anything answers HTTP at url."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


class Demo:
    """scripts/demo.sh running in the background; its output as it comes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        env = {**os.environ, "DEMO_DIR": str(folder)}
        self.process = subprocess.Popen(
            ["bash", "scripts/demo.sh"], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def kubectl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """kubectl against the demo's sandbox, in the app's namespace."""
        env = {**os.environ, "KUBECONFIG": str(self.folder / "kubeconfig")}
        return subprocess.run(
            [str(KUBECTL), "--cache-dir", str(self.folder / "kube-cache"), "-n", "myfoodbudget",
             *args], env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip


def suggested(output: str, after: str) -> str:
    """The command line printed right after the line that starts with `after`."""
    lines = output.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(after))
    return lines[index + 1].strip()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """The demo, up until it prints that Ctrl-C stops everything (stopped after the test)."""
    running = Demo(tmp_path / "demo")
    try:
        wait_for(lambda: "Ctrl-C stops everything." in running.output or
                 running.process.poll() is not None, 300, "the demo to be up")  # fmt: skip
        assert running.process.poll() is None, running.output[-3000:]
        yield running
    finally:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGINT)
        running.process.wait(90)
        running.reader.join(10)
        assert running.process.stdout is not None
        running.process.stdout.close()


def test_demo_deploys_the_gitops_way_and_stops_on_ctrl_c(demo: Demo) -> None:
    out = demo.output
    [runtime] = re.findall(r"^runtime: (docker|process) \(", out, re.MULTILINE)
    assert f"git remote {demo.folder}/remote.git" in out  # the demo's own remote, under DEMO_DIR
    first = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    assert first["image"] == "ghcr.io/owner/myfoodbudget:dev"
    # the GitOps deploy it made: the commit, the sync, the snapshot, the rollout of dev2
    assert re.search(r"^[0-9a-f]+ Deploy dev2$", out, re.MULTILINE)
    assert re.search(r"^SnapshotTaken\s+snapshot myfoodbudget-", out, re.MULTILINE)
    assert "ghcr.io/owner/myfoodbudget:dev2 is ready" in out
    served = r"\s+myfoodbudget:dev2" * 2  # IMAGE and SERVING, as short references
    shown = rf"release\.gitops\.myfoodbudget\.dev/myfoodbudget{served}\s+Ready"
    assert re.search(shown, out)
    app = re.search(r"^MyFoodBudget: (http://127\.0\.0\.1:\d+)/ \(runtime: (\w+)\)$", out, re.M)
    assert app, out
    assert app[2] == runtime
    # the port-forward it prints serves the app
    port = free_port()
    forward = suggested(out, "  export KUBECONFIG").split()[3:5]
    assert forward == ["port-forward", "svc/myfoodbudget"]
    with subprocess.Popen(
        [str(KUBECTL), "--kubeconfig", str(demo.folder / "kubeconfig"), "-n", "myfoodbudget",
         "port-forward", "svc/myfoodbudget", f"{port}:80"], stdout=subprocess.DEVNULL,
    ) as forwarding:  # fmt: skip
        try:
            wait_for(lambda: answers(f"http://127.0.0.1:{port}/version"), 30, "the port-forward")
        finally:
            forwarding.terminate()
    identity = demo.kubectl("exec", "deploy/myfoodbudget", "--", "id")
    assert identity.returncode == 0, identity.stderr
    if runtime == "docker":  # the image's user; the process runtime runs the sandbox's own
        assert identity.stdout.startswith("uid=10001"), identity.stdout
    # the failing release it suggests, as printed: committed, pushed, stopped by its preflight
    failing = suggested(out, "Then a release whose pages answer 500")
    done = subprocess.run(["bash", "-c", failing], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    def stopped_by_preflight() -> bool:
        found = demo.kubectl("get", "release", "myfoodbudget", "-o",
                             "jsonpath={.status.phase} {.status.servingShort}")  # fmt: skip
        return found.stdout == "Failed myfoodbudget:dev2"

    wait_for(stopped_by_preflight, 180, "the failing release to be stopped, dev2 serving")
    assert answers(f"{app[1]}/healthz")
    demo.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert demo.process.wait(90) == 0, demo.output[-3000:]
    wait_for(lambda: "logs and volumes stay in" in demo.output, 10, "the demo's last words")
    [stopped] = re.findall(r"^demo: stopped (.+); logs and volumes stay in", demo.output, re.M)
    assert "the operator (pid " in stopped
    assert "the sandbox (pid " in stopped
    assert "Error" not in demo.output.splitlines()[-1]
    assert not answers(f"{app[1]}/healthz")  # everything the demo started is gone
    if runtime == "docker":
        [pid] = re.findall(r"the sandbox \(pid (\d+)", stopped)
        assert left_behind(engine_environment(), f"dev.myfoodbudget.sandbox.pid={pid}") == []


def test_the_demo_folder_is_ignored_by_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".demo/kubeconfig"], cwd=ROOT, check=False, timeout=30
    )
    assert ignored.returncode == 0
