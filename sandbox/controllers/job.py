"""Job controller: runs pods to completion with backoffLimit and activeDeadlineSeconds."""

from __future__ import annotations

import logging
from typing import Any

from sandbox.client.backoff import BackoffPolicy
from sandbox.client.objects import (
    Obj,
    age,
    get_condition,
    is_pod_active,
    is_pod_ready,
    owned,
    set_condition,
    timestamp,
)
from sandbox.client.view import ClusterView
from sandbox.controllers.replicaset import build_pod

log = logging.getLogger(__name__)
COMPONENT = "job-controller"
COMPLETED = ("CompletionsReached", "Reached expected number of succeeded pods")
BACKOFF = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE = ("DeadlineExceeded", "Job was active longer than specified deadline")


def _restarts(pod: Obj) -> int:
    """Container restarts of a pod."""
    return sum(
        int(c.get("restartCount", 0))
        for c in (pod.get("status") or {}).get("containerStatuses") or []
    )


def _phase(pod: Obj) -> str:
    """The pod phase."""
    return str((pod.get("status") or {}).get("phase", "Pending"))


def _condition(kind: str, reason: str, message: str) -> dict[str, Any]:
    """A JobCondition (lastProbeTime set like lastTransitionTime, as the real controller does)."""
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "message": message,
        "lastProbeTime": timestamp(),
    }


def failure_reason(job: Obj, status: dict[str, Any], pods: list[Obj]) -> tuple[str, str] | None:
    """(reason, message) when the job must fail now, else None."""
    spec = job["spec"]
    limit = int(spec.get("backoffLimit", 6))
    policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy", "Never")
    restarts = sum(_restarts(p) for p in pods if is_pod_active(p)) if policy == "OnFailure" else 0
    if status.get("failed", 0) > limit or (policy == "OnFailure" and limit and restarts >= limit):
        return BACKOFF
    deadline = spec.get("activeDeadlineSeconds")
    if (
        deadline is not None
        and status.get("startTime")
        and age(status["startTime"]) >= int(deadline)
    ):
        return DEADLINE
    return None


def count_status(job: Obj, pods: list[Obj]) -> dict[str, Any]:
    """Counters from the owned pods (never below what the status already recorded)."""
    old = job.get("status") or {}
    active = [p for p in pods if is_pod_active(p)]
    status: dict[str, Any] = {
        k: v
        for k, v in old.items()
        if k not in ("active", "ready", "succeeded", "failed", "terminating")
    }
    counts = {
        "active": len(active),
        "ready": sum(1 for p in active if is_pod_ready(p)),
        "succeeded": max(old.get("succeeded", 0), sum(1 for p in pods if _phase(p) == "Succeeded")),
        "failed": max(old.get("failed", 0), sum(1 for p in pods if _phase(p) == "Failed")),
    }
    terminating = [
        p
        for p in pods
        if p["metadata"].get("deletionTimestamp") and _phase(p) not in ("Succeeded", "Failed")
    ]
    counts["terminating"] = len(terminating)
    status.update({k: v for k, v in counts.items() if v or k in ("ready", "terminating")})
    status.setdefault("uncountedTerminatedPods", {})
    status.setdefault("startTime", timestamp())
    return status


def is_finished(job: Obj) -> bool:
    """Complete or Failed already."""
    status = job.get("status") or {}
    return any(
        (get_condition(status, kind) or {}).get("status") == "True"
        for kind in ("Complete", "Failed")
    )


async def _create_pods(cluster: ClusterView, job: Obj, count: int) -> None:
    """Create `count` pods for the job."""
    meta = job["metadata"]
    labels = {
        "batch.kubernetes.io/controller-uid": meta["uid"],
        "batch.kubernetes.io/job-name": meta["name"],
        "controller-uid": meta["uid"],
        "job-name": meta["name"],
    }
    for _ in range(count):
        body = build_pod(job, job["spec"].get("template") or {}, f"{meta['name']}-", labels)
        pod = await cluster.create("pods", meta["namespace"], body)
        await cluster.event(
            job, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}", component=COMPONENT
        )


def _wanted_active(job: Obj, status: dict[str, Any]) -> int:
    """How many pods should run now (NonIndexed completion mode)."""
    spec = job["spec"]
    parallelism = int(spec.get("parallelism", 1))
    completions = spec.get("completions", 1)
    if completions is None:
        return 0 if status.get("succeeded") else parallelism
    return max(0, min(parallelism, int(completions) - status.get("succeeded", 0)))


async def sync_job(cluster: ClusterView, job: Obj, backoff: BackoffPolicy) -> None:
    """Reconcile one Job: pods, counters, and the terminal conditions."""
    if is_finished(job) or job["metadata"].get("deletionTimestamp") or job["spec"].get("suspend"):
        return
    pods = owned(cluster.cache("pods").list(job["metadata"]["namespace"]), job)
    status = count_status(job, pods)
    active = [p for p in pods if is_pod_active(p)]
    completions = job["spec"].get("completions", 1)
    done = status.get("succeeded", 0) >= (1 if completions is None else int(completions))
    target = get_condition(status, "FailureTarget")
    failure = None if done else failure_reason(job, status, pods)
    if target is not None:
        failure = (str(target.get("reason", "")), str(target.get("message", "")))
    if done:
        set_condition(status, _condition("SuccessCriteriaMet", *COMPLETED), with_update=False)
    elif failure:
        set_condition(status, _condition("FailureTarget", *failure), with_update=False)
    if (done or failure) and (active or status.get("terminating")):
        for pod in active:  # the terminal condition waits until every pod has terminated
            await cluster.delete("pods", pod)
    elif done:
        set_condition(status, _condition("Complete", *COMPLETED), with_update=False)
        status["completionTime"] = timestamp()
        await cluster.event(job, "Completed", "Job completed", component=COMPONENT)
    elif failure:
        set_condition(status, _condition("Failed", *failure), with_update=False)
        await cluster.event(job, failure[0], failure[1], kind="Warning", component=COMPONENT)
    else:
        missing = _wanted_active(job, status) - len(active)
        wait = backoff.delay(status.get("failed", 0))
        last_failure = max((_finished_at(p) for p in pods if _phase(p) == "Failed"), default="")
        if missing > 0 and (not last_failure or age(last_failure) >= wait):
            await _create_pods(cluster, job, missing)
            status["active"] = len(active) + missing
    await cluster.write_status("jobs", job, status)


def _finished_at(pod: Obj) -> str:
    """When the pod's last container terminated (RFC 3339), or ""."""
    ends = [
        (c.get("state") or {}).get("terminated", {}).get("finishedAt", "")
        for c in (pod.get("status") or {}).get("containerStatuses") or []
    ]
    return max(ends, default="")


async def expire_finished(cluster: ClusterView, job: Obj) -> None:
    """ttlSecondsAfterFinished: delete a finished job (and its pods) once the TTL passed."""
    ttl = job["spec"].get("ttlSecondsAfterFinished")
    if ttl is None or not is_finished(job) or job["metadata"].get("deletionTimestamp"):
        return
    status = job.get("status") or {}
    finished = status.get("completionTime") or (get_condition(status, "Failed") or {}).get(
        "lastTransitionTime"
    )
    if finished and age(finished) >= int(ttl):
        await cluster.delete("jobs", job)
