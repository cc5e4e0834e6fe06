"""The operator as a process of its own, against any cluster, for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from gitops.sync.build import find_kubectl
from gitops.sync.process import run_command

from support.canary import COLLECTOR

CRDS = Path(__file__).resolve().parents[2] / "manifests" / "crds"


def install_crds(kubeconfig: Path) -> None:
    """Apply the operator's CRDs (manifests/crds) to a cluster."""
    for crd in sorted(CRDS.glob("*.yaml")):
        args = [find_kubectl(), "--kubeconfig", str(kubeconfig), "apply", "--server-side"]
        run_command([*args, "--validate=false", "-f", str(crd)], timeout=60)


@contextmanager
def running_operator(
    kubeconfig: Path, folder: Path, env: Mapping[str, str] | None = None
) -> Iterator[Path]:
    """`python -m gitops` cluster-wide in its own process; yields the file its logs go to."""
    install_crds(kubeconfig)
    settings = {
        "KUBECONFIG": str(kubeconfig),
        "OPERATOR_IMAGE": "ghcr.io/owner/myfoodbudget-operator:test",
        "METRICS_HOST": "127.0.0.1",
        "METRICS_PORT": "0",
        "WORK_DIR": str(folder / "work"),
    }
    log = folder / "operator.log"
    COLLECTOR.add_file(f"operator log {log}", log)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gitops"],
            env={**os.environ, **settings, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield log
    finally:
        proc.terminate()
        proc.wait(timeout=30)
