"""The world of one Release as the plan sees it, filled in by gitops.release.observe (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    pvc_exists: bool = True
