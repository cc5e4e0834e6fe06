"""Whole releases driven through the plan against a small simulated cluster.

The simulation stands in for the API server, Deployment controller and kubelet (the sandbox
e2e tests use the real ones); it lets every release outcome be checked with an operator that
loses its status write (killed after acting) at any step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from gitops.release.actions import EnsureDeployment, StartJob
from gitops.release.observed import DeploymentView, JobView, Observed, PodView
from gitops.release.plan import decide
from gitops.release.spec import ReleaseSpec
from planhelpers import SNAPSHOT_RESULT, T0, V1, V2, make_spec, ready_status


@dataclass
class Cluster:
    """A Deployment, its pods, Jobs and the database's schema version, advancing in ticks."""

    behaviour: str  # of V2: good | crash | pull | migrate
    image: str = V1
    replicas: int = 1
    pods: list[list[Any]] = field(default_factory=lambda: [[V1, True, 0]])
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    schema: int = 1

    def kind(self, image: str) -> str:
        """How an image behaves."""
        return self.behaviour if image == V2 else "good"

    def act(self, action: Any) -> None:
        """Apply the plan's action."""
        if isinstance(action, EnsureDeployment):
            if action.image != self.image:
                self.pods = []  # Recreate-like: the old pods go at once in this model
            self.image, self.replicas = action.image, action.replicas
        elif isinstance(action, StartJob) and action.job.name not in self.jobs:
            args = action.job.args
            self.jobs[action.job.name] = {"module": action.job.module, "args": args, "done": None}

    def tick(self) -> None:
        """Let controllers, kubelet and Jobs move one step."""
        self.pods = [p for p in self.pods if p[0] == self.image][: self.replicas]
        while len(self.pods) < self.replicas:
            self.pods.append([self.image, False, 0])
        for pod in self.pods:
            kind = self.kind(pod[0])
            pod[1] = kind == "good"
            if kind == "migrate":
                self.schema = 2
            if kind == "crash":
                pod[2] += 1
        for job in self.jobs.values():
            if job["done"] is None:
                job["done"] = self._run_job(job)

    def _run_job(self, job: dict[str, Any]) -> dict[str, Any]:
        """The result a snapshot or restore Job reports."""
        if job["module"] == "gitops.snapshot":
            return {**SNAPSHOT_RESULT, "schemaVersion": self.schema}
        mode = job["args"][job["args"].index("--mode") + 1]
        if mode == "IfSchemaChanged" and self.schema == 1:
            return {"ok": True, "restored": False}
        self.schema = 1
        return {"ok": True, "restored": True}

    def observe(self, spec: ReleaseSpec, status: dict[str, Any], now: Any) -> Observed:
        """What the observe adapter would report."""
        ready = sum(1 for p in self.pods if p[1])
        waiting = {"crash": "CrashLoopBackOff", "pull": "ErrImagePull"}
        pods = tuple(
            PodView(img, ok, restarts, "" if ok else waiting.get(self.kind(img), ""), "n1")
            for img, ok, restarts in self.pods
        )
        view = DeploymentView(
            self.image, self.replicas, 1, 1, len(self.pods), ready, ready, 0, spec.template_hash
        )
        rollout = status.get("rollout") or {}
        return Observed(
            now=now,
            deployment=view,
            pods=pods,
            snapshot_job=self._job(rollout.get("snapshotJob")),
            restore_job=self._job(rollout.get("restoreJob")),
        )

    def _job(self, name: str | None) -> JobView | None:
        """A Job view by name."""
        job = self.jobs.get(name or "")
        if job is None:
            return None
        return JobView(str(name), "Complete" if job["done"] else None, job["done"])


def release(
    spec: ReleaseSpec, cluster: Cluster, lose_write_at: int = -1, ticks: int = 40
) -> dict[str, Any]:
    """Run the operator loop; at one step the status write is lost (killed after acting)."""
    status, now = ready_status(V1), T0
    for step in range(ticks):
        decision = decide(spec, status, cluster.observe(spec, status, now))
        cluster.act(decision.action)
        if step != lose_write_at:
            status = decision.status
        cluster.tick()
        now += timedelta(seconds=5)
    return status


OUTCOMES = [
    ("good", "Ready", V2, 1, None),
    ("crash", "RolledBack", V1, 1, V2),
    ("pull", "RolledBack", V1, 1, V2),
    ("migrate", "RolledBack", V1, 1, V2),
]


@pytest.mark.parametrize("strategy", ["Recreate", "RollingUpdate"])
@pytest.mark.parametrize("lose", [-1, *range(0, 12)])
@pytest.mark.parametrize(
    ("behaviour", "phase", "serving", "schema", "failed"), OUTCOMES, ids=[o[0] for o in OUTCOMES]
)
def test_every_release_ends_the_same_even_if_a_status_write_is_lost(
    behaviour: str,
    phase: str,
    serving: str,
    schema: int,
    failed: str | None,
    strategy: str,
    lose: int,
) -> None:
    spec = make_spec(V2, strategy=strategy, readiness={"timeoutSeconds": 60})
    cluster = Cluster(behaviour)
    status = release(spec, cluster, lose)
    assert status["phase"] == phase
    assert (status["image"], cluster.image, cluster.replicas) == (serving, serving, 1)
    assert all(pod[1] for pod in cluster.pods)  # the serving version is ready
    assert cluster.schema == schema  # a migrating release had its snapshot restored
    assert status.get("failedImage") == failed
    assert status["rollout"] is None
    assert len({name for name in cluster.jobs if "snapshot" in name}) == 1  # one snapshot only
