"""Cron schedules in a time zone, evaluated by cronsim (pure).

cronsim (healthchecks.io's evaluator) was chosen over croniter: it has no dependencies, is
typed, refuses what Debian cron refuses, and runs a daily job once across a daylight-saving
change the way Debian cron does (a 02:30 that does not exist runs at 03:00; one that exists
twice runs once). croniter went through a period declared unmaintained (2025) before it moved
to a new home. Five fields only, plus the usual @hourly, @daily, @weekly, @monthly, @yearly.

A schedule is due when its first slot after the last run (the anchor) has passed: however many
slots an operator restart missed, the work runs once, and the next slot is counted from then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


class ScheduleError(ValueError):
    """A cron expression or time zone that cannot be used, with what to write instead."""


def zone_of(name: str) -> ZoneInfo:
    """An IANA time zone such as Europe/Paris; ScheduleError for anything else."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"{name!r} is not an IANA time zone: write one like UTC or Europe/Paris"
        ) from None


@dataclass(frozen=True)
class Cron:
    """A five-field cron expression evaluated in a time zone."""

    expression: str
    zone: str = "UTC"

    @classmethod
    def parse(cls, text: str, zone: str = "UTC") -> Cron:
        """Check the expression and the zone; ScheduleError says what is wrong."""
        expression = MACROS.get(text.strip(), text.strip())
        fields = expression.split()
        if len(fields) != 5:
            raise ScheduleError(
                f"{text!r} is not a cron schedule: write five fields, minute hour day-of-month "
                "month day-of-week, like '0 3 * * *' (03:00 every day), or @daily"
            )
        zone_of(zone)
        try:
            CronSim(expression, datetime(2026, 1, 1, tzinfo=UTC))
        except CronSimError as error:
            raise ScheduleError(
                f"{text!r} is not a cron schedule: {error} (minute 0-59, hour 0-23, "
                "day-of-month 1-31, month 1-12, day-of-week 0-7, each a number, a range, a list "
                "or */step)"
            ) from None
        return cls(expression, zone)

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after `moment`, in UTC."""
        start = moment.astimezone(zone_of(self.zone))
        return next(CronSim(self.expression, start)).astimezone(UTC)

    def due(self, anchor: datetime | None, now: datetime) -> datetime | None:
        """The slot to run now: the first one after `anchor` once it has passed (else None)."""
        if anchor is None:
            return None
        slot = self.next_after(anchor)
        return slot if slot <= now else None

    def period(self, around: datetime) -> timedelta:
        """Time between the two slots that follow `around` (how often it runs)."""
        first = self.next_after(around)
        return self.next_after(first) - first
