"""Whole releases driven through the plan against a small simulated cluster.

The simulation stands in for the API server, Deployment controller, kubelet and the app's
database (the sandbox e2e tests use the real ones); it lets every release outcome be checked
with an operator that loses its status write (killed after acting) at any step, with and
without the preflight and the bake window, and with spec.image changing under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from gitops.release.actions import DeletePod, EnsureDeployment, StartJob, StartPod
from gitops.release.observed import (
    DeploymentView,
    JobView,
    Observed,
    PodMetrics,
    PodView,
    PreflightPodView,
)
from gitops.release.plan import decide
from gitops.release.spec import ReleaseSpec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planhelpers import SNAPSHOT_RESULT, T0, V1, V2, V3, make_spec, ready_status

# How V2 behaves: good | crash | pull | migrate (migrates, never ready) | serve500 (ready, but
# its pages answer 500) | flaky (ready, then restarts)
BEHAVIOURS = ("good", "crash", "pull", "migrate", "serve500", "flaky")


@dataclass
class Cluster:
    """A Deployment, its pods, Jobs, preflight pods and the database, advancing in ticks."""

    behaviour: str
    image: str = V1
    replicas: int = 1
    pods: list[list[Any]] = field(default_factory=lambda: [[V1, True, 0, 0]])  # + age
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    preflight: dict[str, dict[str, Any]] = field(default_factory=dict)
    schema: int = 1  # the live database
    copies: dict[str, int] = field(default_factory=dict)  # preflight folder -> its schema
    deployed: list[str] = field(default_factory=list)  # every image the Deployment ran

    def kind(self, image: str) -> str:
        """How an image behaves."""
        return self.behaviour if image == V2 else "good"

    def act(self, action: Any) -> None:
        """Apply the plan's action."""
        if isinstance(action, EnsureDeployment):
            if action.image != self.image:
                self.pods = []  # Recreate-like: the old pods go at once in this model
                self.deployed.append(action.image)
            self.image, self.replicas = action.image, action.replicas
        elif isinstance(action, StartJob) and action.job.name not in self.jobs:
            job = action.job
            self.jobs[job.name] = {"module": job.module, "args": job.args, "done": None}
        elif isinstance(action, StartPod) and action.pod.name not in self.preflight:
            assert action.pod.folder in self.copies, "the pod started before its copy was made"
            self.preflight[action.pod.name] = {"request": action.pod, "gone": False}
        elif isinstance(action, DeletePod) and action.name in self.preflight:
            self.preflight[action.name]["gone"] = True

    def tick(self) -> None:
        """Let controllers, kubelet and Jobs move one step."""
        self.preflight = {k: v for k, v in self.preflight.items() if not v["gone"]}
        self.pods = [p for p in self.pods if p[0] == self.image][: self.replicas]
        while len(self.pods) < self.replicas:
            self.pods.append([self.image, False, 0, 0])
        for pod in self.pods:
            kind = self.kind(pod[0])
            pod[1] = kind in ("good", "serve500", "flaky")
            pod[3] += 1
            if kind == "migrate":
                self.schema = 2
            if kind == "crash" or (kind == "flaky" and pod[3] == 3):
                pod[2] += 1
        for running in self.preflight.values():
            request = running["request"]
            if self.kind(request.image) == "migrate" and request.folder in self.copies:
                self.copies[request.folder] = 2
        for job in self.jobs.values():
            if job["done"] is None:
                job["done"] = self._run_job(job)

    def _run_job(self, job: dict[str, Any]) -> dict[str, Any]:
        """The result a snapshot, restore or preflight Job reports."""
        args = list(job["args"])
        if job["module"] == "gitops.snapshot":
            return {**SNAPSHOT_RESULT, "schemaVersion": self.schema}
        if job["module"] == "gitops.preflight" and args[0] == "clean":
            folder = args[args.index("--folder") + 1].removeprefix("/data/")
            return {"ok": True, "schemaVersion": self.copies.pop(folder, None)}
        if job["module"] == "gitops.preflight":  # copy: earlier preflights' folders go first
            folder = args[args.index("--target") + 1].removeprefix("/data/").rsplit("/", 1)[0]
            prefix = "preflight/" + args[args.index("--prefix") + 1]
            self.copies = {k: v for k, v in self.copies.items() if not k.startswith(prefix)}
            self.copies[folder] = self.schema
            return {"ok": True, "schemaVersion": self.schema}
        mode = args[args.index("--mode") + 1]
        if mode == "IfSchemaChanged" and self.schema == 1:
            return {"ok": True, "restored": False}
        self.schema = 1
        return {"ok": True, "restored": True}

    def observe(self, spec: ReleaseSpec, status: dict[str, Any], now: Any) -> Observed:
        """What the observe adapter would report."""
        ready = sum(1 for p in self.pods if p[1])
        waiting = {"crash": "CrashLoopBackOff", "pull": "ErrImagePull"}
        pods = tuple(
            PodView(img, ok, restarts, "" if ok else waiting.get(self.kind(img), ""), "n1", f"p{n}")
            for n, (img, ok, restarts, _) in enumerate(self.pods)
        )
        view = DeploymentView(
            self.image, self.replicas, 1, 1, len(self.pods), ready, ready, 0, spec.template_hash
        )
        errors = 9.0 if self.kind(self.image) == "serve500" else 0.0
        metrics = tuple(PodMetrics(p.name, {"2xx": 1.0, "5xx": errors}) for p in pods if p.ready)
        rollout = status.get("rollout") or {}
        return Observed(
            now=now,
            deployment=view,
            pods=pods,
            snapshot_job=self._job(rollout.get("snapshotJob")),
            restore_job=self._job(rollout.get("restoreJob")),
            copy_job=self._job(rollout.get("copyJob")),
            clean_job=self._job(rollout.get("cleanJob")),
            preflight_pods=tuple(self._preflight_view(n) for n in self.preflight),
            metrics=metrics,
        )

    def _preflight_view(self, name: str) -> PreflightPodView:
        """A preflight pod as the kubelet would report it."""
        pod = self.preflight[name]
        image = pod["request"].image
        kind = self.kind(image)
        ended = "migration 2 failed" if kind == "crash" else ""
        pull = "ErrImagePull" if kind == "pull" else ""
        ready = kind in ("good", "serve500", "flaky")
        return PreflightPodView(name, image, ready, pull, bool(ended), ended, gone=pod["gone"])

    def _job(self, name: str | None) -> JobView | None:
        """A Job view by name."""
        job = self.jobs.get(name or "")
        if job is None:
            return None
        return JobView(str(name), "Complete" if job["done"] else None, job["done"])


def release(
    specs: list[ReleaseSpec], cluster: Cluster, lose_write_at: int = -1, ticks: int = 60
) -> dict[str, Any]:
    """Run the operator loop over specs[step] (the last one from then on); at one step the
    status write is lost (killed after acting)."""
    status, now = ready_status(V1), T0
    for step in range(ticks):
        spec = specs[min(step, len(specs) - 1)]
        decision = decide(spec, status, cluster.observe(spec, status, now))
        cluster.act(decision.action)
        if step != lose_write_at:
            status = decision.status
        cluster.tick()
        now += timedelta(seconds=5)
    return status


GATED = {"preflight": {"enabled": True, "timeoutSeconds": 30}}
READINESS = {"timeoutSeconds": 60, "bakeSeconds": 20, "errorRate": 0.5}
CLASSIC_OUTCOMES = [
    ("good", "Ready", V2, 1, None),
    ("crash", "RolledBack", V1, 1, V2),
    ("pull", "RolledBack", V1, 1, V2),
    ("migrate", "RolledBack", V1, 1, V2),
]
GATED_OUTCOMES = [  # behaviour, phase, serving, reached the Deployment, reason of the end
    ("good", "Ready", V2, True, "RolloutSucceeded"),
    ("crash", "Failed", V1, False, "PreflightFailed"),
    ("pull", "Failed", V1, False, "PreflightFailed"),
    ("migrate", "Failed", V1, False, "PreflightFailed"),
    ("serve500", "RolledBack", V1, True, "RolledBack"),
    ("flaky", "RolledBack", V1, True, "RolledBack"),
]


@pytest.mark.parametrize("strategy", ["Recreate", "RollingUpdate"])
@pytest.mark.parametrize("lose", [-1, *range(0, 12)])
@pytest.mark.parametrize(
    ("behaviour", "phase", "serving", "schema", "failed"),
    CLASSIC_OUTCOMES,
    ids=[o[0] for o in CLASSIC_OUTCOMES],
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
    status = release([spec], cluster, lose)
    assert status["phase"] == phase
    assert (status["image"], cluster.image, cluster.replicas) == (serving, serving, 1)
    assert all(pod[1] for pod in cluster.pods)  # the serving version is ready
    assert cluster.schema == schema  # a migrating release had its snapshot restored
    assert status.get("failedImage") == failed
    assert status["rollout"] is None
    assert len({name for name in cluster.jobs if "snapshot" in name}) == 1  # one snapshot only


@pytest.mark.parametrize("strategy", ["Recreate", "RollingUpdate"])
@pytest.mark.parametrize("lose", [-1, *range(0, 16)])
@pytest.mark.parametrize(
    ("behaviour", "phase", "serving", "deployed", "reason"),
    GATED_OUTCOMES,
    ids=[o[0] for o in GATED_OUTCOMES],
)
def test_a_gated_release_ends_the_same_even_if_a_status_write_is_lost(
    behaviour: str,
    phase: str,
    serving: str,
    deployed: bool,
    reason: str,
    strategy: str,
    lose: int,
) -> None:
    spec = make_spec(V2, strategy=strategy, readiness=READINESS, **GATED)
    cluster = Cluster(behaviour)
    status = release([spec], cluster, lose)
    assert (status["phase"], status["reason"]) == (phase, reason)
    assert (status["image"], cluster.image, cluster.replicas) == (serving, serving, 1)
    assert all(pod[1] for pod in cluster.pods)
    assert (V2 in cluster.deployed) is deployed  # a failed preflight never reaches it
    assert cluster.schema == 1  # the live database never keeps a failed image's schema
    assert status.get("failedImage") == (None if phase == "Ready" else V2)
    assert (status["rollout"], cluster.preflight, cluster.copies) == (None, {}, {})
    assert status["preflight"]["outcome"] == ("Failed" if reason == "PreflightFailed" else "Passed")
    assert status["history"][0]["preflight"] == status["preflight"]["outcome"]
    snapshots = {name for name in cluster.jobs if "snapshot" in name}
    assert len(snapshots) == (0 if reason == "PreflightFailed" and strategy == "Recreate" else 1)


SCENARIO = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SCENARIO
@given(
    st.sampled_from(BEHAVIOURS),
    st.sampled_from(("Recreate", "RollingUpdate")),
    st.integers(-1, 40),
    st.integers(0, 40),
    st.sampled_from((V1, V2, V3)),
    st.booleans(),
)
def test_no_image_reaches_the_deployment_before_its_preflight_passed(
    behaviour: str, strategy: str, lose: int, change_at: int, then: str, bake: bool
) -> None:
    """Whatever happens (a lost write, spec.image moving to another image or back), the
    Deployment runs a new image only after that image passed a preflight, the live database
    ends at its schema, and the release ends with everything tidied away."""
    readiness = {**READINESS, "bakeSeconds": 20 if bake else 0}
    first = make_spec(V2, strategy=strategy, readiness=readiness, **GATED)
    later = make_spec(then, strategy=strategy, readiness=readiness, **GATED)
    cluster = Cluster(behaviour)
    passed: set[str] = set()
    original = cluster.act

    def act(action: Any) -> None:
        if isinstance(action, EnsureDeployment) and action.image not in (cluster.image, V1):
            assert action.image in passed, f"{action.image} rolled out before its preflight"
        original(action)

    cluster.act = act  # type: ignore[method-assign]
    seen = cluster.observe

    def observe(spec: ReleaseSpec, status: dict[str, Any], now: Any) -> Observed:
        record = (status.get("rollout") or {}).get("preflight") or {}
        if record.get("outcome") == "Passed":
            passed.add(record["image"])
        return seen(spec, status, now)

    cluster.observe = observe  # type: ignore[method-assign]
    status = release([first] * change_at + [later], cluster, lose, ticks=90)
    assert status["rollout"] is None, status
    assert cluster.schema == 1
    assert (cluster.preflight, cluster.copies) == ({}, {})
    assert status["phase"] in ("Ready", "RolledBack", "Failed")
    assert cluster.image == status["image"]
