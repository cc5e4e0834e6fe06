"""Suite-wide option and fixture: the cluster e2e tests talk to (a fresh sandbox by default)."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"
IMAGES = Path(__file__).resolve().parent / "images.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--kubeconfig PATH`: run the e2e tests against that cluster instead of a fresh sandbox."""
    parser.addoption(
        "--kubeconfig",
        action="store",
        default=None,
        help="run the e2e tests against this cluster instead of a fresh sandbox",
    )


@dataclass
class Cluster:
    """The cluster under test: its kubeconfig, whether it is the sandbox, and a kubectl helper."""

    kubeconfig: Path
    is_sandbox: bool
    cache_dir: Path

    def kubectl(
        self, *args: str, check: bool = False, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the project's kubectl against this cluster (fresh discovery cache)."""
        command = [str(KUBECTL), "--kubeconfig", str(self.kubeconfig),
                   "--cache-dir", str(self.cache_dir), *args]  # fmt: skip
        return subprocess.run(
            command, capture_output=True, text=True, check=check, input=input, timeout=timeout
        )


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The cluster for e2e tests: `--kubeconfig`, or a sandbox started for the session."""
    given = request.config.getoption("--kubeconfig")
    with tempfile.TemporaryDirectory(prefix="kubectl-cache-") as cache:
        if given:
            yield Cluster(Path(given).resolve(), False, Path(cache))
            return
        from sandbox.testing import running_sandbox

        workdir = Path(tempfile.mkdtemp(prefix="sandbox-session-"))
        with running_sandbox(workdir, images=IMAGES) as sandbox:
            yield Cluster(sandbox.kubeconfig, True, Path(cache))
