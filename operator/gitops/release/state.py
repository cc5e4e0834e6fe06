"""The Release's typed state: its phase, and the rollout in flight, to and from status (pure).

Each Phase says what it means: whether a release is in flight in it (active), whether a
release ends in it (final), and what it does to the Degraded condition. status.phase holds a
Phase's value; status.rollout holds a Rollout, written by `to_status` and read by
`from_status` and nowhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Stage(enum.Enum):
    """Where a phase stands in the life of a release."""

    IDLE = "idle"  # nothing in flight and no release just ended here
    ACTIVE = "active"  # a release is in flight: status.rollout is set
    FINAL = "final"  # a release ends here


KEEP = None  # a phase that leaves the Degraded condition as it is


class Phase(enum.StrEnum):
    """status.phase: where the release stands, and what that means for its conditions."""

    stage: Stage
    degraded: bool | None  # Degraded condition in this phase (KEEP: unchanged)
    summary: str  # one line for the docs

    def __new__(cls, value: str, stage: Stage, degraded: bool | None, summary: str) -> Phase:
        member = str.__new__(cls, value)
        member._value_ = value
        member.stage, member.degraded, member.summary = stage, degraded, summary
        return member

    PENDING = (
        "Pending",
        Stage.IDLE,
        True,
        "a new image waits for what a release needs (its claim); nothing was rolled out",
    )
    SNAPSHOTTING = (
        "Snapshotting",
        Stage.ACTIVE,
        KEEP,
        "a Job copies the database onto the claim (Recreate stops the old version first)",
    )
    ROLLING_OUT = (
        "RollingOut",
        Stage.ACTIVE,
        KEEP,
        "the Deployment runs the new image; waiting for readiness",
    )
    READY = ("Ready", Stage.FINAL, False, "spec.image serves")
    ROLLING_BACK = (
        "RollingBack",
        Stage.ACTIVE,
        True,
        "the new image failed: the previous one comes back, the snapshot restored if wanted",
    )
    ROLLED_BACK = (
        "RolledBack",
        Stage.FINAL,
        True,
        "the previous image serves again; the failed one is not retried",
    )
    FAILED = ("Failed", Stage.FINAL, True, "the release stopped; the message says what to fix")
    PAUSED = (
        "Paused",
        Stage.IDLE,
        KEEP,
        "spec.paused: a new image waits; the serving one keeps serving",
    )

    @property
    def active(self) -> bool:
        """True while a release is in flight (the Progressing condition is True)."""
        return self.stage is Stage.ACTIVE

    @property
    def final(self) -> bool:
        """True when a release ends in this phase."""
        return self.stage is Stage.FINAL

    @classmethod
    def parse(cls, value: object) -> Phase | None:
        """The phase a status names (None for none or an unknown one)."""
        return next((phase for phase in cls if phase.value == value), None)


class HistoryOutcome(enum.StrEnum):
    """status.history[].outcome: how a release ended."""

    SUCCEEDED = "Succeeded"
    ROLLED_BACK = "RolledBack"
    FAILED = "Failed"
    SUPERSEDED = "Superseded"
    CANCELLED = "Cancelled"


SNAPSHOT_FIELDS = ("file", "takenAt", "sizeBytes", "sha256", "schemaVersion", "image")


@dataclass(frozen=True)
class Snapshot:
    """One snapshot as status records it (status.lastSnapshot, status.rollout.snapshot)."""

    file: str
    fields: Mapping[str, Any]  # every key of SNAPSHOT_FIELDS, None when the Job did not say

    @classmethod
    def from_result(cls, result: Mapping[str, Any]) -> Snapshot:
        """The record of a snapshot Job's result (or of a recorded snapshot)."""
        fields = {key: result.get(key) for key in SNAPSHOT_FIELDS}
        return cls(str(fields["file"] or ""), fields)

    def to_status(self) -> dict[str, Any]:
        """The record as status holds it."""
        return dict(self.fields)


@dataclass(frozen=True)
class Failure:
    """Why the rollout is being rolled back: the reason's name and what happened."""

    reason: str
    message: str


@dataclass(frozen=True)
class Restore:
    """What the restore Job of a rollback reported."""

    restored: bool
    file: str


@dataclass(frozen=True)
class Rollout:
    """status.rollout: the release in flight, so a restarted operator resumes where it was."""

    number: int
    phase: Phase  # the active phase whose step runs next ("step" in status)
    target_image: str
    from_image: str  # the serving image when it started ('' on a first deploy)
    started_at: str
    node_name: str = ""  # where the app ran: its Jobs are pinned there
    snapshot_job: str = ""
    restore_job: str = ""
    snapshot: Snapshot | None = None
    snapshot_error: str | None = None  # why an optional snapshot was skipped
    rollout_started_at: str | None = None  # when target_image was applied
    failure: Failure | None = None
    rollback_started_at: str | None = None
    restore: Restore | None = None

    @classmethod
    def from_status(cls, status: Mapping[str, Any]) -> Rollout | None:
        """The rollout a status records (None when idle, or when it names no active phase)."""
        raw = status.get("rollout")
        if not isinstance(raw, Mapping):
            return None
        phase = Phase.parse(raw.get("step"))
        if phase is None or not phase.active:
            return None
        return cls(
            number=int(raw.get("number") or 0),
            phase=phase,
            target_image=str(raw.get("targetImage") or ""),
            from_image=str(raw.get("fromImage") or ""),
            started_at=str(raw.get("startedAt") or ""),
            node_name=str(raw.get("nodeName") or ""),
            snapshot_job=str(raw.get("snapshotJob") or ""),
            restore_job=str(raw.get("restoreJob") or ""),
            snapshot=_snapshot(raw.get("snapshot")),
            snapshot_error=_text(raw.get("snapshotError")),
            rollout_started_at=_text(raw.get("rolloutStartedAt")),
            failure=_failure(raw.get("failure")),
            rollback_started_at=_text(raw.get("rollbackStartedAt")),
            restore=_restore(raw.get("restore")),
        )

    def to_status(self) -> dict[str, Any]:
        """status.rollout; an unset field is null, so a merge patch removes it from status."""
        failure, restore = self.failure, self.restore
        return {
            "number": self.number,
            "step": self.phase.value,
            "targetImage": self.target_image,
            "fromImage": self.from_image,
            "startedAt": self.started_at,
            "nodeName": self.node_name,
            "snapshotJob": self.snapshot_job,
            "restoreJob": self.restore_job,
            "snapshot": self.snapshot.to_status() if self.snapshot else None,
            "snapshotError": self.snapshot_error,
            "rolloutStartedAt": self.rollout_started_at,
            "failure": {"reason": failure.reason, "message": failure.message} if failure else None,
            "rollbackStartedAt": self.rollback_started_at,
            "restore": {"restored": restore.restored, "file": restore.file} if restore else None,
        }


def _text(value: object) -> str | None:
    """A string field (None when absent or empty)."""
    return str(value) if value else None


def _snapshot(raw: object) -> Snapshot | None:
    """A recorded snapshot (None when there is none)."""
    return Snapshot.from_result(raw) if isinstance(raw, Mapping) and raw else None


def _failure(raw: object) -> Failure | None:
    """A recorded failure."""
    if not isinstance(raw, Mapping):
        return None
    return Failure(str(raw.get("reason") or ""), str(raw.get("message") or ""))


def _restore(raw: object) -> Restore | None:
    """A recorded restore result."""
    if not isinstance(raw, Mapping):
        return None
    return Restore(bool(raw.get("restored")), str(raw.get("file") or ""))
