"""The questions the Release plan's steps ask of the observed world (pure)."""

from __future__ import annotations

import re

from gitops.clock import parse_time
from gitops.release.observed import Observed, PreflightPodView
from gitops.release.spec import ReleaseSpec

FAIL_FAST_REASONS = frozenset(
    {"ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "InvalidImageName"}
)


def deployment_complete(observed: Observed, image: str, replicas: int) -> bool:
    """True when the Deployment runs `image` on all `replicas`, all ready, no old pods left."""
    d = observed.deployment
    if d is None or d.image != image or d.replicas != replicas:
        return False
    if d.observed_generation < d.generation or d.old_pods:
        return False
    counts = (d.updated_replicas, d.ready_replicas, d.available_replicas)
    return all(count == replicas for count in counts)


def ready_count(observed: Observed, image: str) -> int:
    """How many pods of `image` are ready."""
    return sum(1 for pod in observed.pods if pod.image == image and pod.ready)


def stopped(observed: Observed) -> bool:
    """True when no pod of the Release exists and the Deployment (if any) wants none."""
    d = observed.deployment
    return not observed.pods and (d is None or d.replicas == 0)


def drifted(spec: ReleaseSpec, observed: Observed, image: str, replicas: int) -> bool:
    """True when the Deployment is missing or differs in image, replicas or template."""
    d = observed.deployment
    if d is None:
        return True
    return (d.image, d.replicas, d.template_hash) != (image, replicas, spec.template_hash)


def fail_fast_cause(observed: Observed, image: str, max_restarts: int) -> str:
    """Why a pod of `image` cannot become ready ('' when none is failing)."""
    for pod in observed.pods:
        if pod.image != image:
            continue
        last = f", last terminated {pod.last_exit}" if pod.last_exit else ""
        if pod.waiting_reason in FAIL_FAST_REASONS:
            return f"container is in {pod.waiting_reason}{last}"
        if pod.restart_count > max_restarts:
            count = pod.restart_count
            return f"container restarted {count} times{last} (readiness.maxRestarts {max_restarts})"
    return ""


def seconds_since(observed: Observed, stamp: str | None) -> float:
    """Seconds elapsed since an RFC 3339 stamp (0 when unknown)."""
    moment = parse_time(stamp)
    return 0.0 if moment is None else (observed.now - moment).total_seconds()


LOG_LINES, LOG_CHARS = 8, 600  # of a failed container's output, in a message
# NAME=value or NAME: value where the name says it is secret, and user:password@ in URLs
SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b([\w.-]*(?:secret|passw|token|api_?key|private|credential)[\w.-]*)(\s*[=:]\s*)(\S+)"
)
URL_USERINFO = re.compile(r"(\w+://)[^/\s:@]+:[^/\s@]+@")


def redact(text: str) -> str:
    """text with the values of secret-looking assignments and URL passwords blanked out.

    The operator cannot know the values of the app's Secrets; an app that prints one as
    NAME=value (or in a URL) still does not get it into an Event or the status.
    """
    text = SECRET_ASSIGNMENT.sub(lambda m: f"{m[1]}{m[2]}[redacted]", text)
    return URL_USERINFO.sub(r"\1[redacted]@", text)


def condense(text: str) -> str:
    """A container's output on one line: its last lines, redacted and shortened."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][-LOG_LINES:]
    joined = redact(" | ".join(lines))
    return joined if len(joined) <= LOG_CHARS else "..." + joined[-LOG_CHARS:]


def log_excerpt(pod: PreflightPodView, shown: str = "") -> str:
    """'; last log lines: ...' of a preflight pod ('' when there are none, or already shown)."""
    text = condense(pod.log)
    if not text or text in condense(shown):
        return ""
    return f"; last log lines: {text}"
