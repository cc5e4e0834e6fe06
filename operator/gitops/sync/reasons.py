"""Condition reasons of a GitSync, each beside its message template."""

from __future__ import annotations

from dataclasses import dataclass

SYNCED = "Synced"
FETCH_FAILED = "FetchFailed"
BUILD_FAILED = "BuildFailed"
VALIDATION_FAILED = "ValidationFailed"
APPLY_FAILED = "ApplyFailed"
PRUNE_FAILED = "PruneFailed"
INVALID_SPEC = "InvalidSpec"
SUSPENDED = "Suspended"
PROGRESSING = "Progressing"
RETRYING = "Retrying"

MESSAGES = {
    SYNCED: "Applied commit {commit}: {applied} objects applied, {pruned} pruned",
    FETCH_FAILED: "Could not fetch branch {branch} of {url}: {error}",
    BUILD_FAILED: "kustomize could not build {path} at commit {commit}: {error}",
    VALIDATION_FAILED: "Nothing applied; commit {commit} cannot be applied: {error}",
    APPLY_FAILED: "Applying commit {commit} failed: {error}",
    PRUNE_FAILED: "Applied commit {commit}, but pruning failed: {error}",
    INVALID_SPEC: "The GitSync cannot be used as written: {error}",
    SUSPENDED: "Syncing is suspended; set spec.suspend to false to resume",
    PROGRESSING: "Syncing: {why}",
    RETRYING: "Retrying in {delay:.0f}s after {failures} failed attempts",
}

# Failures that another try cannot fix without a new commit or a spec change.
STALLING = frozenset({BUILD_FAILED, VALIDATION_FAILED, INVALID_SPEC})
MAX_MESSAGE = 2000


@dataclass(frozen=True)
class Outcome:
    """How one sync attempt ended: a reason and its filled-in message."""

    reason: str
    message: str

    @property
    def ok(self) -> bool:
        """True when the sync succeeded."""
        return self.reason == SYNCED

    @property
    def stalled(self) -> bool:
        """True when retrying cannot help until the user changes something."""
        return self.reason in STALLING

    @property
    def event_type(self) -> str:
        """Normal on success, Warning on failure."""
        return "Normal" if self.ok else "Warning"


def outcome(reason: str, **values: object) -> Outcome:
    """The Outcome for a reason, its template filled with values and cut to a sane length."""
    message = MESSAGES[reason].format(**values)
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return Outcome(reason, message)
