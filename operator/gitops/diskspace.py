"""The volume's used and free bytes, and the check that a copy fits before it is made.

Every Job that writes a copy onto the claim (snapshot, backup, restore, fetch, vacuum) reports
the volume's figures in its result and refuses to start a copy that would not leave a margin
free: a clear message with the figures, instead of a disk filled to the last byte.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops.dbfiles import SnapshotError
from gitops.sizes import human

MIB = 1 << 20
MIN_MARGIN = MIB  # what a copy must leave free on the volume at the least
MARGIN_SHARE = 10  # ...or a tenth of the copy, whichever is more


@dataclass(frozen=True)
class Usage:
    """What statvfs says of the filesystem holding a path."""

    total: int
    used: int
    free: int  # available to an unprivileged writer

    @property
    def percent_used(self) -> float:
        """Used share of the space an unprivileged writer can have, in percent."""
        room = self.used + self.free
        return 100.0 * self.used / room if room else 0.0

    def to_result(self) -> dict[str, Any]:
        """The figures as a Job reports them (status.backup.disk)."""
        return {
            "usedBytes": self.used,
            "freeBytes": self.free,
            "sizeBytes": self.total,
            "usedPercent": round(self.percent_used, 1),
        }


def usage(path: Path) -> Usage:
    """The figures of the filesystem that holds `path` (the nearest existing folder)."""
    where = path
    while not where.exists() and where != where.parent:
        where = where.parent
    stats = os.statvfs(where)
    total = stats.f_blocks * stats.f_frsize
    free = stats.f_bavail * stats.f_frsize
    used = total - stats.f_bfree * stats.f_frsize
    return Usage(total=total, used=used, free=free)


def margin(copy_bytes: int) -> int:
    """What must stay free after a copy of `copy_bytes`."""
    return max(MIN_MARGIN, copy_bytes // MARGIN_SHARE)


def ensure_room(folder: Path, copy_bytes: int, what: str) -> Usage:
    """Refuse a copy that would leave less than its margin free; return the figures."""
    figures = usage(folder)
    need = copy_bytes + margin(copy_bytes)
    if figures.free < need:
        raise SnapshotError(
            f"not enough space on the volume for {what}: it needs {human(need)} "
            f"({human(copy_bytes)} plus a margin of {human(margin(copy_bytes))}) but "
            f"{human(figures.free)} is free ({human(figures.used)} used of "
            f"{human(figures.total)}, {figures.percent_used:.0f}%); nothing was copied: free "
            "space on the claim, lower spec.snapshot.keep or spec.backup.keep, or grow the claim"
        )
    return figures


def database_bytes(path: Path) -> int:
    """How big a copy of the database will be: its file plus its write-ahead log."""
    size = path.stat().st_size
    wal = Path(f"{path}-wal")
    return size + (wal.stat().st_size if wal.exists() else 0)
