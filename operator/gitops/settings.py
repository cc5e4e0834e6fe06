"""The operator's settings: one frozen object read from the environment and checked at start-up."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops.images import IMAGE_RE

DEFAULT_WORK_DIR = Path(tempfile.gettempdir()) / "gitops"
NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class SettingsError(ValueError):
    """One or more environment variables are missing or invalid."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything the operator reads from its environment."""

    operator_image: str
    watch_namespace: str | None = None
    operator_namespace: str = "default"
    metrics_host: str = "0.0.0.0"  # noqa: S104 - scraped from outside the pod
    metrics_port: int = 8080
    notify_secret: str | None = None
    notify_timeout_seconds: float = 10.0
    work_dir: Path = DEFAULT_WORK_DIR
    resync_seconds: float = 30.0
    poll_seconds: float = 2.0
    job_deadline_seconds: int = 600
    # How the Release reaches its pods' HTTP endpoints (smoke checks, /metrics while baking):
    # through the API server's pods/proxy, or straight to the pod's IP (ports remapped as
    # the annotation named by pod_ports_annotation says, where the cluster records them).
    pod_http: str = "proxy"
    pod_ports_annotation: str = ""
    # GitSync: kubectl for `kubectl kustomize`, cluster-scoped kinds a sync may apply, back-off.
    sync_kubectl: str | None = None
    sync_cluster_kinds: frozenset[str] = frozenset()
    sync_retry_seconds: float = 1.0
    sync_retry_max_seconds: float = 300.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and validate every variable; raise SettingsError listing each bad one."""
        reader = _Reader(env)
        values: dict[str, Any] = {
            "operator_image": reader.read("OPERATOR_IMAGE", _image, required=True),
            "watch_namespace": reader.read("WATCH_NAMESPACE", _name),
            "operator_namespace": reader.read(
                "OPERATOR_NAMESPACE",
                _name,
                default=env.get("POD_NAMESPACE") or env.get("WATCH_NAMESPACE") or "default",
            ),
            "metrics_host": reader.read("METRICS_HOST", str, default=cls.metrics_host),
            "metrics_port": reader.read("METRICS_PORT", _integer(0, 65535), default=8080),
            "notify_secret": reader.read("NOTIFY_SECRET", _name),
            "notify_timeout_seconds": reader.read(
                "NOTIFY_TIMEOUT_SECONDS", _number(0.1, 300), default=10.0
            ),
            "work_dir": reader.read(
                "WORK_DIR", Path, default=Path(tempfile.gettempdir()) / "gitops"
            ),
            "resync_seconds": reader.read("RESYNC_SECONDS", _number(1, 86400), default=30.0),
            "poll_seconds": reader.read("POLL_SECONDS", _number(0.1, 300), default=2.0),
            "job_deadline_seconds": reader.read(
                "JOB_DEADLINE_SECONDS", _integer(10, 86400), default=600
            ),
            **_controller_values(reader),
        }
        if reader.problems:
            raise SettingsError(reader.problems)
        return cls(**values)


def _controller_values(reader: _Reader) -> dict[str, Any]:
    """What the Release and GitSync controllers read: pod access, kubectl, kinds, back-off."""
    return {
        "pod_http": reader.read("POD_HTTP", _choice("proxy", "direct"), default="proxy"),
        "pod_ports_annotation": reader.read("POD_PORTS_ANNOTATION", str, default=""),
        "sync_kubectl": reader.read("SYNC_KUBECTL", str),
        "sync_cluster_kinds": reader.read("SYNC_CLUSTER_KINDS", parse_kinds, default=frozenset()),
        "sync_retry_seconds": reader.read("SYNC_RETRY_SECONDS", _number(0.1, 3600), default=1.0),
        "sync_retry_max_seconds": reader.read(
            "SYNC_RETRY_MAX_SECONDS", _number(1, 86400), default=300.0
        ),
    }


class _Reader:
    """Collects values and one problem line per bad variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def read(
        self,
        name: str,
        parse: Callable[[str], Any],
        *,
        default: Any = None,
        required: bool = False,
    ) -> Any:
        """Parse one variable, or record why it cannot be used."""
        raw = self.env.get(name, "").strip()
        if not raw:
            if required:
                self.problems.append(f"{name} is required but not set")
            return default
        try:
            return parse(raw)
        except ValueError as error:
            self.problems.append(f"{name}={raw!r} is invalid: {error}")
            return default


def _image(raw: str) -> str:
    """An image reference such as ghcr.io/owner/name:tag@sha256:..."""
    if not IMAGE_RE.match(raw):
        raise ValueError("expected an image reference like ghcr.io/owner/name:tag")
    return raw


def _choice(*allowed: str) -> Callable[[str], str]:
    """A parser for one of a few words."""

    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return raw

    return parse


def parse_kinds(raw: str) -> frozenset[str]:
    """A comma-separated list of kinds such as 'Namespace,ClusterRole'."""
    kinds = frozenset(part.strip() for part in raw.split(",") if part.strip())
    bad = sorted(kind for kind in kinds if not kind.isalnum() or not kind[0].isupper())
    if bad:
        raise ValueError(f"expected kinds like Namespace,ClusterRole; not {', '.join(bad)}")
    return kinds


def _name(raw: str) -> str:
    """A Kubernetes object or namespace name (RFC 1123 label)."""
    if not NAME_PATTERN.match(raw):
        raise ValueError("expected a lowercase name of letters, digits and '-' (at most 63)")
    return raw


def _bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], Any]:
    """A parser for a whole number (int) or a number of seconds (float) within [low, high]."""
    noun = "a whole number" if kind is int else "a number"

    def parse(raw: str) -> Any:
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ValueError(f"expected {noun} from {low:g} to {high:g}")
        return value

    return parse


def _integer(low: int, high: int) -> Callable[[str], int]:
    """A parser for an integer within [low, high]."""
    return _bounded(int, low, high)


def _number(low: float, high: float) -> Callable[[str], float]:
    """A parser for a number of seconds within [low, high]."""
    return _bounded(float, low, high)
