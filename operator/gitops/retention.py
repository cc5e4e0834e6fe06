"""Grandfather-father-son retention of the scheduled snapshots on the claim (pure).

The same rule as `restic forget --keep-last --keep-daily --keep-weekly --keep-monthly`, so the
claim and the off-site repository keep the same days: newest first, a snapshot is kept when it
is among the `last` newest, or is the newest of a day, an ISO week or a month that a rule
still has room for (each rule counts the days, weeks or months it kept, not the snapshots).
Days, weeks and months are those of the Release's time zone. tests/operator/backup holds this
to restic's own answer on the same times. With every count 0 nothing is removed, as
with restic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Keep:
    """How many of the newest snapshots, days, weeks and months to keep (0: that rule is off)."""

    last: int = 7
    daily: int = 7
    weekly: int = 4
    monthly: int = 6

    @classmethod
    def parse(cls, text: str) -> Keep:
        """`last=7,daily=7,weekly=4,monthly=6` (what the Job's --keep takes)."""
        values: dict[str, int] = {}
        for part in filter(None, text.split(",")):
            name, _, number = part.partition("=")
            if name not in ("last", "daily", "weekly", "monthly") or not number.isdigit():
                raise ValueError(f"expected last=N,daily=N,weekly=N,monthly=N, not {text!r}")
            values[name] = int(number)
        return cls(**values)

    def to_arg(self) -> str:
        """The inverse of parse."""
        return f"last={self.last},daily={self.daily},weekly={self.weekly},monthly={self.monthly}"

    def restic_flags(self) -> list[str]:
        """The same rule as `restic forget` flags."""
        pairs = [("last", self.last), ("daily", self.daily)]
        pairs += [("weekly", self.weekly), ("monthly", self.monthly)]
        return [flag for name, count in pairs if count for flag in (f"--keep-{name}", str(count))]


def _buckets(zone: tzinfo) -> list[Callable[[datetime, int], object]]:
    """The bucket of a snapshot for each rule: itself, its day, ISO week, month (in `zone`)."""

    def day(moment: datetime, _: int) -> object:
        return moment.astimezone(zone).date()

    def week(moment: datetime, _: int) -> object:
        return moment.astimezone(zone).isocalendar()[:2]

    def month(moment: datetime, _: int) -> object:
        local = moment.astimezone(zone)
        return local.year, local.month

    return [lambda _moment, index: index, day, week, month]


def select(
    items: Iterable[T], time_of: Callable[[T], datetime], keep: Keep, zone: tzinfo
) -> tuple[list[T], list[T]]:
    """(kept, removed), each newest first; a rule with every count 0 keeps everything."""
    ordered: Sequence[T] = sorted(items, key=time_of, reverse=True)
    if not keep.restic_flags():  # as restic: no policy, nothing is removed
        return list(ordered), []
    counts = [keep.last, keep.daily, keep.weekly, keep.monthly]
    seen: list[object] = [None] * len(counts)
    kept: list[T] = []
    removed: list[T] = []
    for index, item in enumerate(ordered):
        moment, matched = time_of(item), False
        for rule, bucket in enumerate(_buckets(zone)):
            value = bucket(moment, index)
            if counts[rule] > 0 and value != seen[rule]:
                seen[rule], counts[rule], matched = value, counts[rule] - 1, True
        (kept if matched else removed).append(item)
    return kept, removed
