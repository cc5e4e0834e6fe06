"""Release model: the validated spec, the observed world, and the plan's actions (all pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from gitops.release.spec import (
    IMAGE_PATTERN,
    RESTORE_POLICIES,
    RETRY_ANNOTATION,
    STRATEGIES,
    ReadinessSpec,
    ReleaseSpec,
    RollbackSpec,
    SnapshotSpec,
    SpecError,
    short_image,
)

__all__ = [
    "DATA_MOUNT",
    "FAIL_FAST_REASONS",
    "GROUP",
    "HISTORY_LIMIT",
    "IMAGE_PATTERN",
    "RESTORE_POLICIES",
    "RETRY_ANNOTATION",
    "STRATEGIES",
    "TEMPLATE_HASH_ANNOTATION",
    "Action",
    "Decision",
    "DeploymentView",
    "EnsureDeployment",
    "Event",
    "JobRequest",
    "JobView",
    "Observed",
    "PodView",
    "ReadinessSpec",
    "ReleaseSpec",
    "RollbackSpec",
    "SnapshotSpec",
    "SpecError",
    "StartJob",
    "Wait",
    "short_image",
]

GROUP = "gitops.myfoodbudget.dev"
TEMPLATE_HASH_ANNOTATION = f"{GROUP}/template-hash"
DATA_MOUNT = "/data"  # where Jobs mount spec.snapshot.claimName
HISTORY_LIMIT = 20
FAIL_FAST_REASONS = frozenset(
    {"ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "InvalidImageName"}
)


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


@dataclass(frozen=True)
class JobView:
    """A snapshot or restore Job: its outcome and the JSON result from its termination message."""

    name: str
    outcome: Literal["Complete", "Failed"] | None = None  # from the Job's conditions; None: running
    result: Mapping[str, Any] | None = None  # parsed termination message of the pod, if any
    message: str = ""  # why it failed (condition message / pod status), for humans


@dataclass(frozen=True)
class Observed:
    """The world as observed for one reconcile (built by gitops.release.observe)."""

    now: datetime  # timezone-aware UTC
    deployment: DeploymentView | None = None
    pods: tuple[PodView, ...] = ()
    snapshot_job: JobView | None = None  # the Job named status.rollout.snapshotJob, if it exists
    restore_job: JobView | None = None  # the Job named status.rollout.restoreJob, if it exists
    pvc_exists: bool = True


@dataclass(frozen=True)
class Event:
    """An Event to emit on the Release; its reason equals the condition reason just set."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class Wait:
    """Nothing to change now; reconcile again after requeue_after seconds (None: on next event)."""

    requeue_after: float | None = None


@dataclass(frozen=True)
class EnsureDeployment:
    """Create or update the owned Deployment: spec.template with image on spec.container."""

    image: str
    replicas: int
    template_hash: str
    requeue_after: float | None = 2.0


@dataclass(frozen=True)
class JobRequest:
    """A Job running `python -m <module> <args>` in the operator image with the claim mounted."""

    name: str
    module: Literal["gitops.snapshot", "gitops.restore"]
    args: tuple[str, ...]
    claim_name: str
    node_name: str = ""  # pin to this node when set (the app pod's node)


@dataclass(frozen=True)
class StartJob:
    """Create the Job (a 409 because it already exists is success: names are deterministic)."""

    job: JobRequest
    requeue_after: float | None = 2.0


Action = Wait | EnsureDeployment | StartJob


@dataclass(frozen=True)
class Decision:
    """The plan's answer: one action, the complete next status, and at most one Event."""

    action: Action
    status: dict[str, Any]
    event: Event | None = None
