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

from gitops.release import records
from gitops.release.maintenance import Maintenance
from gitops.release.records import Bake, Failure, Preflight, Restore, Snapshot, Verdict

__all__ = ["Failure", "HistoryOutcome", "Phase", "Restore", "Rollout", "Snapshot", "Stage"]


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
    PREFLIGHT = (
        "Preflight",
        Stage.ACTIVE,
        KEEP,
        "the new image runs on a scratch copy of the database, in a pod no Service selects; "
        "the serving version is untouched",
    )
    ROLLING_OUT = (
        "RollingOut",
        Stage.ACTIVE,
        KEEP,
        "the Deployment runs the new image; waiting for readiness",
    )
    BAKING = (
        "Baking",
        Stage.ACTIVE,
        KEEP,
        "the new version is ready and watched for readiness.bakeSeconds (restarts, readiness, "
        "5xx ratio) before it counts as serving",
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
    RESTORING = (
        "Restoring",
        Stage.ACTIVE,
        KEEP,
        "the restore annotation: a Job checks the snapshot, the app stops while it goes in "
        "(the database in use kept aside), then starts again",
    )
    VACUUMING = (
        "Vacuuming",
        Stage.ACTIVE,
        KEEP,
        "spec.backup.vacuum: a Job runs VACUUM (strategy Recreate stops the app for it)",
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


# What a status written before the step list existed goes on to after each phase.
LEGACY_STEPS: Mapping[Phase, tuple[Phase, ...]] = {Phase.SNAPSHOTTING: (Phase.ROLLING_OUT,)}


@dataclass(frozen=True)
class Rollout:
    """status.rollout: the release in flight, so a restarted operator resumes where it was."""

    number: int
    phase: Phase  # the active phase whose step runs next ("step" in status)
    target_image: str
    from_image: str  # the serving image when it started ('' on a first deploy)
    started_at: str
    steps: tuple[Phase, ...] = ()  # the phases still to run after this one ("next")
    node_name: str = ""  # where the app ran: its Jobs are pinned there
    snapshot_job: str = ""
    restore_job: str = ""
    snapshot: Snapshot | None = None
    snapshot_error: str | None = None  # why an optional snapshot was skipped
    preflight_pod: str = ""  # the preflight's pod, and its copy and clean-up Jobs
    copy_job: str = ""
    clean_job: str = ""
    preflight_started_at: str | None = None
    preflight_verdict: Verdict | None = None  # the pod's verdict, while its copy is removed
    preflight: Preflight | None = None
    rollout_started_at: str | None = None  # when target_image was applied
    mixed: bool = False  # a superseded target ran on the live database before this one
    bake_started_at: str | None = None
    bake_restarts: tuple[tuple[str, int], ...] = ()  # restarts of each pod when the bake began
    bake: Bake | None = None
    failure: Failure | None = None
    rollback_started_at: str | None = None
    restore: Restore | None = None
    maintenance: Maintenance | None = None  # Restoring, Vacuuming: the work on the database

    @classmethod
    def from_status(cls, status: Mapping[str, Any]) -> Rollout | None:
        """The rollout a status records (None when idle, or when it names no active phase)."""
        raw = status.get("rollout")
        if not isinstance(raw, Mapping):
            return None
        phase = Phase.parse(raw.get("step"))
        if phase is None or not phase.active:
            return None
        return cls(phase=phase, steps=_steps(raw, phase), **_names(raw), **_records(raw))

    def to_status(self) -> dict[str, Any]:
        """status.rollout; an unset field is null, so a merge patch removes it from status."""
        failure, restore, verdict = self.failure, self.restore, self.preflight_verdict
        return {
            "number": self.number,
            "step": self.phase.value,
            "next": [phase.value for phase in self.steps],
            "targetImage": self.target_image,
            "fromImage": self.from_image,
            "startedAt": self.started_at,
            "nodeName": self.node_name,
            "snapshotJob": self.snapshot_job,
            "restoreJob": self.restore_job,
            "preflightPod": self.preflight_pod or None,
            "copyJob": self.copy_job or None,
            "cleanJob": self.clean_job or None,
            "snapshot": self.snapshot.to_status() if self.snapshot else None,
            "snapshotError": self.snapshot_error,
            "preflightStartedAt": self.preflight_started_at,
            "preflightVerdict": (
                {"passed": verdict.passed, "message": verdict.message} if verdict else None
            ),
            "preflight": self.preflight.to_status() if self.preflight else None,
            "rolloutStartedAt": self.rollout_started_at,
            "mixed": self.mixed or None,
            "bakeStartedAt": self.bake_started_at,
            "bakeRestarts": dict(self.bake_restarts) or None,
            "bake": self.bake.to_status() if self.bake else None,
            "failure": {"reason": failure.reason, "message": failure.message} if failure else None,
            "rollbackStartedAt": self.rollback_started_at,
            "restore": {"restored": restore.restored, "file": restore.file} if restore else None,
            "maintenance": self.maintenance.to_status() if self.maintenance else None,
        }


def _steps(raw: Mapping[str, Any], phase: Phase) -> tuple[Phase, ...]:
    """The phases a recorded rollout still has to run."""
    listed = raw.get("next")
    if not isinstance(listed, list):
        return LEGACY_STEPS.get(phase, ())
    parsed = (Phase.parse(value) for value in listed)
    return tuple(p for p in parsed if p is not None and p.active)


def _names(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The plain fields of a recorded rollout: numbers, images, names and times."""
    strings = {
        "target_image": "targetImage", "from_image": "fromImage", "started_at": "startedAt",
        "node_name": "nodeName", "snapshot_job": "snapshotJob", "restore_job": "restoreJob",
        "preflight_pod": "preflightPod", "copy_job": "copyJob", "clean_job": "cleanJob",
    }  # fmt: skip
    times = {
        "snapshot_error": "snapshotError", "preflight_started_at": "preflightStartedAt",
        "rollout_started_at": "rolloutStartedAt", "bake_started_at": "bakeStartedAt",
        "rollback_started_at": "rollbackStartedAt",
    }  # fmt: skip
    found: dict[str, Any] = {"number": int(raw.get("number") or 0), "mixed": bool(raw.get("mixed"))}
    found |= {attr: str(raw.get(key) or "") for attr, key in strings.items()}
    found |= {attr: records.text(raw.get(key)) for attr, key in times.items()}
    return found


def _records(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded rollout's records: snapshot, preflight, bake, failure, restore, maintenance."""
    restarts = raw.get("bakeRestarts")
    counts = restarts.items() if isinstance(restarts, Mapping) else ()
    return {
        "snapshot": records.snapshot(raw.get("snapshot")),
        "preflight_verdict": records.verdict(raw.get("preflightVerdict")),
        "preflight": Preflight.from_status(raw.get("preflight")),
        "bake_restarts": tuple(sorted((str(k), v if isinstance(v, int) else 0) for k, v in counts)),
        "bake": Bake.from_status(raw.get("bake")),
        "failure": records.failure(raw.get("failure")),
        "restore": records.restore(raw.get("restore")),
        "maintenance": Maintenance.from_status(raw.get("maintenance")),
    }
