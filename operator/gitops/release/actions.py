"""What the Release plan answers: one action to take, the next status, and its Event (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gitops.api import EventType

DATA_MOUNT = "/data"  # where a Job mounts spec.snapshot.claimName
RESTIC_MOUNT = "/etc/restic"  # where a backup Job mounts spec.backup.offsite.secretRef
SCRATCH_MOUNT = "/scratch"  # an emptyDir of a backup Job (its TMPDIR): ssh files, a check's copy
JobModule = Literal[
    "gitops.snapshot", "gitops.restore", "gitops.preflight", "gitops.backup", "gitops.vacuum"
]


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
    """A Job running `python -m <module> <args>` in the operator image with the claim mounted.

    A backup Job also gets the restic Secret as files (`secret_name`, at RESTIC_MOUNT) and an
    emptyDir at SCRATCH_MOUNT; its values reach restic only through those files.
    """

    name: str
    module: JobModule
    args: tuple[str, ...]
    claim_name: str
    node_name: str = ""  # pin to this node when set (the app pod's node)
    secret_name: str = ""
    scratch: bool = False
    kind: str = ""  # the Job's kind label ('' : the module's name, e.g. snapshot)

    @property
    def label(self) -> str:
        """The value of the Job's kind label (JOB_KIND_LABEL)."""
        return self.kind or self.module.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class StartJob:
    """Create the Job (a 409 because it already exists is success: names are deterministic)."""

    job: JobRequest
    requeue_after: float | None = 2.0


@dataclass(frozen=True)
class PodRequest:
    """The preflight's pod: spec.template running `image`, no Service selecting it, pinned to
    `node_name`, with the claim's mounts pointed at `folder` (the scratch copy) on the claim."""

    name: str
    image: str
    folder: str  # relative to the root of the claim
    node_name: str
    deadline_seconds: int  # activeDeadlineSeconds: an orphaned pod ends on its own


@dataclass(frozen=True)
class StartPod:
    """Create the pod (a 409 because it already exists is success: names are deterministic)."""

    pod: PodRequest
    requeue_after: float | None = 2.0


@dataclass(frozen=True)
class DeletePod:
    """Delete a pod of the Release's (one already gone is success)."""

    name: str
    requeue_after: float | None = 1.0


Action = Wait | EnsureDeployment | StartJob | StartPod | DeletePod


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
