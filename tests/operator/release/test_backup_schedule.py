"""Cron schedules in a time zone, with an injected clock: due once, DST, clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gitops.release.backup.schedule import Cron, ScheduleError
from gitops.release.backup.spec import BackupSpec, BackupSpecError
from gitops.retention import Keep

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_schedule_is_due_once_its_first_slot_after_the_last_run_has_passed() -> None:
    daily = Cron.parse("0 3 * * *")
    assert daily.due(None, T0) is None  # never seen: counts from now, not from the past
    assert daily.due(T0, T0 + timedelta(hours=14)) is None
    slot = daily.due(T0, T0 + timedelta(hours=15, seconds=1))
    assert slot == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_missed_slots_run_once_then_the_next_counts_from_that_run() -> None:
    daily = Cron.parse("0 3 * * *")
    back = T0 + timedelta(days=5)  # the operator was down for five days
    assert daily.due(T0, back) == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # the first missed one
    assert daily.due(back, back + timedelta(hours=1)) is None  # ran at `back`: not again now
    assert daily.next_after(back) == datetime(2026, 3, 7, 3, 0, tzinfo=UTC)


def test_the_time_zone_decides_the_wall_clock_time_across_daylight_saving() -> None:
    paris = Cron.parse("30 2 * * *", "Europe/Paris")
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    spring = paris.next_after(before)  # 02:30 does not exist on 29 March: 03:00, as cron does
    assert spring == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert paris.next_after(spring) == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    autumn = paris.next_after(datetime(2026, 10, 24, 12, tzinfo=UTC))
    assert paris.next_after(autumn) - autumn == timedelta(hours=25)  # 02:30 twice: once


def test_macros_and_periods() -> None:
    assert Cron.parse("@daily").expression == "0 0 * * *"
    assert Cron.parse("@weekly").period(T0) == timedelta(days=7)
    assert Cron.parse("*/15 * * * *").period(T0) == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("text", "zone", "said"),
    [
        ("0 3 * *", "UTC", "five fields"),
        ("0 3 * * * *", "UTC", "five fields"),
        ("61 * * * *", "UTC", "Bad minute"),
        ("0 3 * * *", "Mars/Olympus", "IANA time zone"),
        ("@reboot", "UTC", "five fields"),
    ],
)
def test_bad_schedules_are_refused_saying_what_to_write(text: str, zone: str, said: str) -> None:
    with pytest.raises(ScheduleError, match=said):
        Cron.parse(text, zone)


def test_spec_backup_defaults_and_errors_name_the_field() -> None:
    spec = BackupSpec.from_dict({"schedule": "0 3 * * *"})
    assert spec.keep == Keep(7, 7, 4, 6)
    assert spec.verify_schedule is not None
    assert spec.verify_schedule.expression == "0 4 * * 0"
    assert (spec.disk_warning_percent, spec.offsite, spec.vacuum) == (80, None, None)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"schedule": "daily"}, "spec.backup.schedule"),
        ({"timeZone": "Nowhere"}, "spec.backup.timeZone"),
        ({"keep": {"last": -1}}, "spec.backup.keep.last"),
        ({"keep": {"last": 0, "daily": 0, "weekly": 0, "monthly": 0}}, "spec.backup.keep"),
        (
            {"offsite": {"repository": "ftp://x", "secretRef": {"name": "r"}}},
            "spec.backup.offsite.repository",
        ),
        ({"offsite": {"repository": "sftp:u@h:/b"}}, "spec.backup.offsite.secretRef.name"),
        ({"diskWarningPercent": 0}, "spec.backup.diskWarningPercent"),
        ({"vacuum": "sometimes"}, "spec.backup.vacuum"),
    ]
    for raw, field in bad:
        with pytest.raises(BackupSpecError) as caught:
            BackupSpec.from_dict(raw)
        assert caught.value.field.startswith(field), (raw, caught.value)
