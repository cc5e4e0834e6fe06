"""What every reconcile shares while the operator runs: the API, the settings, the wake-ups."""

from __future__ import annotations

from dataclasses import dataclass, field

from gitops.kube import Kube
from gitops.loop import Backoff, Wakeups
from gitops.settings import Settings

MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Runtime:
    """Built once at start-up and kept in kopf's memo."""

    kube: Kube
    settings: Settings
    wakeups: Wakeups = field(default_factory=Wakeups)

    def backoff(self) -> Backoff:
        """The back-off of a loop whose reconcile failed: from the poll interval up to 30 s."""
        return Backoff(first=self.settings.poll_seconds, cap=MAX_BACKOFF_SECONDS)
