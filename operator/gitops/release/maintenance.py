"""Work on the database between releases: a restore asked for, a VACUUM (pure).

Both run as a rollout of the serving image onto itself, in phase Restoring or Vacuuming, so a
restarted operator resumes them like any rollout: status.rollout.maintenance records the work,
its step and what its Jobs said.

Restore: Prepare (a Job resolves and checks the REF while the app serves) -> Stop -> Run (the
restore Job; the database in use is kept aside) -> Start (wait for Ready). When the app does
not get ready on the restored database: Revert (the kept database goes back) -> Start.
Vacuum: Stop (strategy Recreate only) -> Run -> Start.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Work(enum.StrEnum):
    """What is done to the database."""

    RESTORE = "Restore"
    VACUUM = "Vacuum"


class Step(enum.StrEnum):
    """Where the work stands."""

    PREPARE = "Prepare"
    STOP = "Stop"
    RUN = "Run"
    START = "Start"
    REVERT = "Revert"


@dataclass(frozen=True)
class Maintenance:
    """status.rollout.maintenance."""

    work: Work
    request: str  # the restore REF, or the vacuum slot
    step: Step
    file: str = ""  # the snapshot the Prepare Job resolved the REF to
    aside: str = ""  # the database the restore kept aside
    failure: str = ""  # why the work failed ('' while it has not): the end reports it
    detail: str = ""  # what the Run Job said
    step_started_at: str = ""  # when Start began (the readiness timeout counts from it)
    resume: str = ""  # the phase the work started from, which it ends in

    def job_name(self, release: str, number: int, step: Step) -> str:
        """Deterministic Job name of a step (<= 63 characters)."""
        return (
            f"{release[:36].rstrip('-.')}-{self.work.value.lower()}-{number}-{step.value.lower()}"
        )

    @classmethod
    def from_status(cls, raw: object) -> Maintenance | None:
        """The work a status records (None for none or garbage)."""
        if not isinstance(raw, Mapping):
            return None
        work = next((w for w in Work if w.value == raw.get("work")), None)
        step = next((s for s in Step if s.value == raw.get("step")), None)
        if work is None or step is None:
            return None
        text = {key: str(raw.get(key) or "") for key in _TEXT_FIELDS}
        return cls(
            work=work,
            request=text["request"],
            step=step,
            file=text["file"],
            aside=text["aside"],
            failure=text["failure"],
            detail=text["detail"],
            step_started_at=text["stepStartedAt"],
            resume=text["resume"],
        )

    def to_status(self) -> dict[str, Any]:
        """The record as status holds it."""
        return {
            "work": self.work.value,
            "request": self.request,
            "step": self.step.value,
            "file": self.file or None,
            "aside": self.aside or None,
            "failure": self.failure or None,
            "detail": self.detail or None,
            "stepStartedAt": self.step_started_at or None,
            "resume": self.resume or None,
        }


_TEXT_FIELDS = ("request", "file", "aside", "failure", "detail", "stepStartedAt", "resume")
