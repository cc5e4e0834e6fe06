"""What the restore annotation may name, checked before anything is touched (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gitops.api import RESTORE_ANNOTATION

FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*\.db$")
RESTIC_ID = re.compile(r"^[0-9a-f]{8,64}$")
OFFSITE = "offsite:"


@dataclass(frozen=True)
class RestoreRef:
    """A restore reference: `latest`, a snapshot file name, `offsite:latest`, `offsite:<id>`."""

    text: str

    @property
    def offsite(self) -> bool:
        """True when the copy comes from the restic repository."""
        return self.text.startswith(OFFSITE)


def parse_ref(text: str, has_offsite: bool) -> RestoreRef:
    """Check a REF; ValueError says what is wrong and what to write instead."""
    value = text.strip()
    hint = (
        f"set {RESTORE_ANNOTATION} to latest, a snapshot file name from the claim's snapshots "
        "folder (<release>-<time>-<tag>.db), offsite:latest or offsite:<restic snapshot id>"
    )
    if value == "latest" or FILE_NAME.match(value):
        return RestoreRef(value)
    if value.startswith(OFFSITE):
        target = value.removeprefix(OFFSITE)
        if not has_offsite:
            raise ValueError(f"{value!r} names the off-site repository, but spec.backup.offsite "
                             "is not set")  # fmt: skip
        if target == "latest" or RESTIC_ID.match(target):
            return RestoreRef(value)
    raise ValueError(f"{value!r} is not a restore reference: {hint}")
