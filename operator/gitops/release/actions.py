"""What the Release plan answers: one action to take, the next status, and its Event (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gitops.api import EventType

DATA_MOUNT = "/data"  # where a Job mounts spec.snapshot.claimName


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
class Event:
    """An Event to emit on the Release; its reason equals the condition reason just set."""

    type: EventType
    reason: str
    message: str


@dataclass(frozen=True)
class Decision:
    """The plan's answer: one action, the complete next status, and at most one Event."""

    action: Action
    status: dict[str, Any]
    event: Event | None = None
