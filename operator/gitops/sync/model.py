"""The GitSync spec as a checked value, durations, and references to applied objects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
URL_SCHEMES = ("https://", "ssh://", "file:///")
MIN_INTERVAL = 1.0
NAMESPACE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class SpecError(ValueError):
    """The GitSync spec cannot be used as written; the message says what to fix."""


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration such as 90s, 5m or 1h30m."""
    position, total = 0, 0.0
    for match in DURATION.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not text or position != len(text):
        raise SpecError(f"{text!r} is not a duration; write it like 30s, 5m or 1h30m")
    return total


@dataclass(frozen=True)
class SyncSpec:
    """What one GitSync asks for, checked."""

    url: str
    path: str
    branch: str = "main"
    interval: float = 60.0
    timeout: float = 120.0
    secret_name: str | None = None
    prune: bool = True
    suspend: bool = False
    target_namespace: str | None = None  # None: the GitSync's own namespace

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> SyncSpec:
        """Check a raw spec and return it as a SyncSpec, or raise SpecError."""
        url = str(spec.get("url") or "")
        if not url.startswith(URL_SCHEMES):
            raise SpecError(f"spec.url {url!r} must start with https://, ssh:// or file:///")
        if url.startswith("https://") and "@" in url.split("/")[2]:
            raise SpecError("spec.url must not hold credentials; put them in the secretRef Secret")
        path = _relative_path(str(spec.get("path") or ""))
        branch = str(spec.get("branch") or "main")
        if branch.startswith("-") or ".." in branch or " " in branch:
            raise SpecError(f"spec.branch {branch!r} is not a valid branch name")
        interval = parse_duration(str(spec.get("interval") or "60s"))
        if interval < MIN_INTERVAL:
            raise SpecError(f"spec.interval must be at least {MIN_INTERVAL:g}s")
        timeout = parse_duration(str(spec.get("timeout") or "120s"))
        if timeout <= 0:
            raise SpecError("spec.timeout must be more than 0s")
        secret = (spec.get("secretRef") or {}).get("name") or None
        return cls(
            url=url,
            path=path,
            branch=branch,
            interval=interval,
            timeout=timeout,
            secret_name=secret,
            prune=bool(spec.get("prune", True)),
            suspend=bool(spec.get("suspend", False)),
            target_namespace=_target_namespace(str(spec.get("targetNamespace") or "")),
        )


def _target_namespace(raw: str) -> str | None:
    """spec.targetNamespace, a namespace name, or None when not set."""
    if raw and not NAMESPACE_NAME.match(raw):
        raise SpecError(
            f"spec.targetNamespace {raw!r} is not a namespace name "
            "(lowercase letters, digits and '-', at most 63)"
        )
    return raw or None


def _relative_path(raw: str) -> str:
    """The overlay folder, kept inside the repository."""
    path = PurePosixPath(raw or ".")
    if path.is_absolute() or ".." in path.parts:
        raise SpecError(f"spec.path {raw!r} must be a folder inside the repository, without '..'")
    return str(path)


@dataclass(frozen=True, order=True)
class ObjectRef:
    """One applied object, as the inventory records it."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ObjectRef:
        """The reference to a manifest or an inventory entry."""
        meta = obj.get("metadata") or {}
        return cls(
            api_version=str(obj.get("apiVersion", "")),
            kind=str(obj.get("kind", "")),
            namespace=str(meta.get("namespace") or obj.get("namespace") or ""),
            name=str(meta.get("name") or obj.get("name") or ""),
        )

    @property
    def group(self) -> str:
        """The API group ('' for the core group)."""
        return self.api_version.rpartition("/")[0]

    def to_status(self) -> dict[str, str]:
        """The inventory entry written to status."""
        entry = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name}
        if self.namespace:
            entry["namespace"] = self.namespace
        return entry

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"
