"""The cluster the e2e tests and benchmarks talk to: its kubeconfig and the project's kubectl."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

KUBECTL = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kubectl"
# How an operator outside the sandbox reaches its pods' HTTP endpoints (smoke checks, /metrics):
# they share 127.0.0.1, each port remapped as this annotation records, and the sandbox serves no
# pods/proxy. On a real cluster the operator's default (the API server's proxy) is kept.
SANDBOX_POD_HTTP = {"POD_HTTP": "direct", "POD_PORTS_ANNOTATION": "sandbox.myfoodbudget.dev/ports"}


@dataclass
class Cluster:
    """The cluster under test: its kubeconfig, whether it is the sandbox, and a kubectl helper."""

    kubeconfig: Path
    is_sandbox: bool
    cache_dir: Path
    runtime: str = ""  # the sandbox's container runtime: "process" or "docker"
    audit_log: Path | None = None  # the sandbox's audit log of writes

    def kubectl(
        self, *args: str, check: bool = False, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the project's kubectl against this cluster (fresh discovery cache)."""
        command = [
            str(KUBECTL),
            "--kubeconfig",
            str(self.kubeconfig),
            "--cache-dir",
            str(self.cache_dir),
            *args,
        ]
        return subprocess.run(
            command, capture_output=True, text=True, check=check, input=input, timeout=timeout
        )

    def operator_env(self) -> dict[str, str]:
        """The operator settings this cluster needs beyond the defaults."""
        return dict(SANDBOX_POD_HTTP) if self.is_sandbox else {}

    def node_url(self, node_port: int) -> str:
        """http://<first Node's InternalIP>:<nodePort>: where a NodePort Service answers."""
        found = self.kubectl("get", "nodes", "-o", "json", check=True)
        for node in json.loads(found.stdout)["items"]:
            for address in (node.get("status") or {}).get("addresses") or []:
                if address["type"] == "InternalIP":
                    return f"http://{address['address']}:{node_port}"
        raise AssertionError(f"no Node reports an InternalIP address:\n{found.stdout[:2000]}")
