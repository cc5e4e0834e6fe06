"""spec.backup, validated: defaults as in ARCHITECTURE.md, errors naming the field (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.release.backup.schedule import Cron, ScheduleError, zone_of
from gitops.retention import Keep

REPOSITORY_PREFIXES = ("sftp:", "s3:", "rest:", "b2:", "azure:", "gs:", "swift:", "rclone:")
NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
DEFAULT_VERIFY = "0 4 * * 0"  # weekly, Sunday 04:00


class BackupSpecError(ValueError):
    """An invalid spec.backup field, and how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _typed(data: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    """One field of spec.backup with a type check (bool is not an int)."""
    value = data.get(key, default)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BackupSpecError(f"spec.backup.{key}", f"must be a {kind.__name__}, got {value!r}")
    return value


def _cron(data: Mapping[str, Any], key: str, default: str, zone: str) -> Cron | None:
    """A schedule field ('' turns it off)."""
    text = _typed(data, key, str, default).strip()
    if not text:
        return None
    try:
        return Cron.parse(text, zone)
    except ScheduleError as error:
        raise BackupSpecError(f"spec.backup.{key}", str(error)) from None


def _keep(data: Mapping[str, Any]) -> Keep:
    """spec.backup.keep: counts >= 0, at least one of them above 0."""
    raw = _typed(data, "keep", dict, {})
    counts = {}
    for name, default in vars(Keep()).items():
        value = raw.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BackupSpecError(f"spec.backup.keep.{name}", f"must be >= 0, got {value!r}")
        counts[name] = value
    if not any(counts.values()):
        raise BackupSpecError("spec.backup.keep", "keeps nothing: set at least one count above 0")
    return Keep(**counts)


@dataclass(frozen=True)
class Offsite:
    """The restic repository and the Secret with its settings."""

    repository: str
    secret_name: str

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Offsite:
        """Validate spec.backup.offsite."""
        repository = raw.get("repository")
        local = isinstance(repository, str) and repository.startswith(("/", "local:"))
        if not isinstance(repository, str) or not (
            local or repository.startswith(REPOSITORY_PREFIXES)
        ):
            raise BackupSpecError(
                "spec.backup.offsite.repository",
                f"must be a restic repository such as sftp:user@nas:/backups/myfoodbudget or "
                f"s3:https://host/bucket/path, got {repository!r}",
            )
        if any(ch.isspace() for ch in repository):
            raise BackupSpecError("spec.backup.offsite.repository", "must not hold spaces")
        secret = (
            (raw.get("secretRef") or {}).get("name")
            if isinstance(raw.get("secretRef"), dict)
            else None
        )
        if not isinstance(secret, str) or not NAME.match(secret):
            raise BackupSpecError(
                "spec.backup.offsite.secretRef.name",
                "must name the Secret with RESTIC_PASSWORD (and the repository's credentials)",
            )
        return cls(repository, secret)


@dataclass(frozen=True)
class BackupSpec:
    """What spec.backup asks for."""

    schedule: Cron | None = None
    time_zone: str = "UTC"
    keep: Keep = field(default_factory=Keep)
    offsite: Offsite | None = None
    verify_schedule: Cron | None = None
    disk_warning_percent: int = 80
    vacuum: Cron | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BackupSpec:
        """Validate spec.backup; BackupSpecError names the first bad field."""
        zone = _typed(data, "timeZone", str, "UTC")
        try:
            zone_of(zone)
        except ScheduleError as error:
            raise BackupSpecError("spec.backup.timeZone", str(error)) from None
        percent = _typed(data, "diskWarningPercent", int, 80)
        if not 1 <= percent <= 100:
            raise BackupSpecError("spec.backup.diskWarningPercent", f"must be 1-100, got {percent}")
        raw_offsite = _typed(data, "offsite", dict, {})
        return cls(
            schedule=_cron(data, "schedule", "", zone),
            time_zone=zone,
            keep=_keep(data),
            offsite=Offsite.from_dict(raw_offsite) if raw_offsite else None,
            verify_schedule=_cron(data, "verifySchedule", DEFAULT_VERIFY, zone),
            disk_warning_percent=percent,
            vacuum=_cron(data, "vacuum", "", zone),
        )
