"""The records a rollout keeps in status: its snapshot, why it failed, what the restore, the
preflight and the bake found; each to and from its status form (pure)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SNAPSHOT_FIELDS = ("file", "takenAt", "sizeBytes", "sha256", "schemaVersion", "image")


class Outcome(enum.StrEnum):
    """status.preflight.outcome, status.bake.outcome and the history's preflight and bake."""

    PASSED = "Passed"
    FAILED = "Failed"


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

    @property
    def schema_version(self) -> int | None:
        """PRAGMA user_version of the copy (None when the Job did not say)."""
        value = self.fields.get("schemaVersion")
        return value if isinstance(value, int) else None

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
class Verdict:
    """How a step judged the new image (passed or not, and why), before it tidies up."""

    passed: bool
    message: str


@dataclass(frozen=True)
class Preflight:
    """status.preflight: the new image on a copy of the database."""

    outcome: Outcome
    image: str
    schema_version: int | None  # what the new image left the copy at (None: unknown)
    duration_seconds: float
    message: str

    def to_status(self) -> dict[str, Any]:
        """The record as status holds it."""
        return {
            "outcome": self.outcome.value,
            "image": self.image,
            "schemaVersion": self.schema_version,
            "durationSeconds": self.duration_seconds,
            "message": self.message,
        }

    @classmethod
    def from_status(cls, raw: object) -> Preflight | None:
        """A recorded preflight (None when there is none)."""
        if not isinstance(raw, Mapping) or raw.get("outcome") not in set(Outcome):
            return None
        schema = raw.get("schemaVersion")
        return cls(
            Outcome(raw["outcome"]),
            str(raw.get("image") or ""),
            schema if isinstance(schema, int) else None,
            float(raw.get("durationSeconds") or 0.0),
            str(raw.get("message") or ""),
        )


@dataclass(frozen=True)
class Bake:
    """status.bake: how the new version held up in its bake window."""

    outcome: Outcome
    image: str
    seconds: float  # how long it was watched
    message: str

    def to_status(self) -> dict[str, Any]:
        """The record as status holds it."""
        return {
            "outcome": self.outcome.value,
            "image": self.image,
            "seconds": self.seconds,
            "message": self.message,
        }

    @classmethod
    def from_status(cls, raw: object) -> Bake | None:
        """A recorded bake (None when there is none)."""
        if not isinstance(raw, Mapping) or raw.get("outcome") not in set(Outcome):
            return None
        seconds = float(raw.get("seconds") or 0.0)
        return cls(
            Outcome(raw["outcome"]),
            str(raw.get("image") or ""),
            seconds,
            str(raw.get("message") or ""),
        )


def text(value: object) -> str | None:
    """A string field (None when absent or empty)."""
    return str(value) if value else None


def snapshot(raw: object) -> Snapshot | None:
    """A recorded snapshot (None when there is none)."""
    return Snapshot.from_result(raw) if isinstance(raw, Mapping) and raw else None


def failure(raw: object) -> Failure | None:
    """A recorded failure."""
    if not isinstance(raw, Mapping):
        return None
    return Failure(str(raw.get("reason") or ""), str(raw.get("message") or ""))


def restore(raw: object) -> Restore | None:
    """A recorded restore result."""
    if not isinstance(raw, Mapping):
        return None
    return Restore(bool(raw.get("restored")), str(raw.get("file") or ""))


def verdict(raw: object) -> Verdict | None:
    """A recorded verdict."""
    if not isinstance(raw, Mapping):
        return None
    return Verdict(bool(raw.get("passed")), str(raw.get("message") or ""))
