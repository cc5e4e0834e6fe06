"""The world of one Release as the plan sees it, filled in by gitops.release.observe (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True)
class DeploymentView:
    """What the plan needs of the owned Deployment (observe fills it from the API object)."""

    image: str  # image of spec.container in the Deployment's template
    replicas: int  # spec.replicas
    generation: int = 0
    observed_generation: int = 0
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    old_pods: int = 0  # pods that still run an older template (ReplicaSet) than the current one
    template_hash: str = ""  # the TEMPLATE_HASH_ANNOTATION value ("" when missing)


@dataclass(frozen=True)
class PodView:
    """One pod of the Release's Deployment (not terminating)."""

    image: str  # image of spec.container
    ready: bool = False
    restart_count: int = 0
    waiting_reason: str = ""  # state.waiting.reason of the container, "" when running
    node_name: str = ""
    name: str = ""
    last_termination: str = ""  # lastState.terminated: reason, exit code, message ("": none)
    last_exit: str = ""  # lastState.terminated.reason (OOMKilled, Error), "" when none


@dataclass(frozen=True)
class PreflightPodView:
    """A preflight pod of the Release: is it ready, or did its container end, and how."""

    name: str
    image: str = ""
    ready: bool = False
    waiting_reason: str = ""
    terminated: bool = False  # the container ended (restartPolicy Never: for good)
    message: str = ""  # the termination message, or the exit code and reason
    log: str = ""  # the container's last log lines, read while it is not ready
    gone: bool = False  # deletion started: it is stopping


@dataclass(frozen=True)
class CheckResult:
    """The smoke checks (spec.verify) against one pod: passed, failed, or not known yet."""

    passed: bool | None  # None: the pod could not be reached, try again
    detail: str = ""  # the first failed check, e.g. "GET /login answered 500, expected 200"


@dataclass(frozen=True)
class PodMetrics:
    """One pod's responses by status class, read from its /metrics (since it started)."""

    pod: str
    responses: Mapping[str, float]  # "2xx", "5xx"... (a class not seen yet is absent)
    error: str = ""  # a definite failure to read them (HTTP status, no such endpoint)


@dataclass(frozen=True)
class JobView:
    """A snapshot or restore Job: its outcome and the JSON result from its termination message."""

    name: str
    outcome: Literal["Complete", "Failed"] | None = None  # from the Job's conditions; None: running
    result: Mapping[str, Any] | None = None  # parsed termination message of the pod, if any
    message: str = ""  # why it failed (condition message / pod status), for humans


@dataclass(frozen=True)
class Observed:
    """The world as observed for one reconcile."""

    now: datetime  # timezone-aware UTC
    deployment: DeploymentView | None = None
    pods: tuple[PodView, ...] = ()
    snapshot_job: JobView | None = None  # the Job named status.rollout.snapshotJob, if it exists
    restore_job: JobView | None = None  # the Job named status.rollout.restoreJob, if it exists
    copy_job: JobView | None = None  # the preflight's Jobs: its copy of the database
    clean_job: JobView | None = None  # ... and the removal of that copy
    preflight_pods: tuple[PreflightPodView, ...] = ()  # every preflight pod of the Release
    checks: Mapping[str, CheckResult] = field(default_factory=dict)  # by pod name
    metrics: tuple[PodMetrics, ...] = ()  # of the target's pods, while baking
    pvc_exists: bool = True
    jobs: Mapping[str, JobView] = field(default_factory=dict)  # maintenance and backup Jobs

    def job(self, name: str) -> JobView | None:
        """The Job of that name, when it exists ('' names none)."""
        return self.jobs.get(name) if name else None


def node_of(observed: Observed) -> str:
    """The node of the first scheduled pod ('' when none is scheduled)."""
    return next((pod.node_name for pod in observed.pods if pod.node_name), "")


def job_result(job: JobView) -> tuple[Mapping[str, Any] | None, str]:
    """(result, '') for a Job that completed with an ok result, else (None, why it failed)."""
    result = job.result or {}
    if job.outcome == "Complete" and result.get("ok") is True:
        return result, ""
    error = str(result.get("error") or job.message or "the Job reported no result")
    return None, error
