"""Helpers for the delivery tests: kustomize builds and the guide's apply command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).parent / "kubectl"
CRDS = ("releases.gitops.myfoodbudget.dev", "gitsyncs.gitops.myfoodbudget.dev")
CLUSTER_RBAC = ("clusterrole/myfoodbudget-gitops-operator",
                "clusterrolebinding/myfoodbudget-gitops-operator")  # fmt: skip


def built(path: str | Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize path` renders."""
    out = subprocess.run(
        [str(KUBECTL), "kustomize", str(ROOT / path)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def apply_args(cluster: Any, path: str | Path) -> list[str]:
    """The guide's `kubectl apply -k PATH` (client-side validation off on the sandbox)."""
    return ["apply", "-k", str(ROOT / path), *(["--validate=false"] if cluster.is_sandbox else [])]
