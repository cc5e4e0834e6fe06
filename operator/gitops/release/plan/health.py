"""The serving version between releases: a restart, or readiness lost for longer than
readiness.degradedAfterSeconds, opens one Degraded incident; it is reported once (one Warning
Event, one notification) however often the pods flap, never rolled back, and closed with a
Normal Event once every replica is ready with no restart for as long (pure).

status.health keeps what this needs across reconciles: the image watched, each pod's restart
count at the last look, since when readiness is lost, and the incident open. Any other step
(a release, a restore, a held image) drops it, so the next watch begins afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from gitops.api import Reason
from gitops.clock import format_time
from gitops.release import reasons as R
from gitops.release.observed import Observed, PodView
from gitops.release.plan.context import Ctx, Transition
from gitops.release.plan.queries import deployment_complete, ready_count, seconds_since

NO_TERMINATION = "none recorded"


@dataclass(frozen=True)
class Watch:
    """status.health: the serving version as last seen."""

    image: str
    restarts: Mapping[str, int]  # restart count of each pod of `image` at the last look
    unready_since: str | None = None  # readiness lost since then (None: every replica ready)
    incident: str = ""  # the reason of the open incident ('' when none is)
    since: str | None = None  # when it opened
    trouble_at: str | None = None  # the last restart or lost readiness seen in it

    @classmethod
    def from_status(cls, raw: object, image: str, observed: Observed) -> Watch:
        """The recorded watch of `image`; a new one counts the restarts so far as seen."""
        if not isinstance(raw, Mapping) or raw.get("image") != image:
            return cls(image, restart_counts(observed, image))
        counts = raw.get("restarts")
        restarts = counts if isinstance(counts, Mapping) else {}
        return cls(
            image,
            {str(k): v for k, v in restarts.items() if isinstance(v, int)},
            _text(raw.get("unreadySince")),
            str(raw.get("incident") or ""),
            _text(raw.get("since")),
            _text(raw.get("troubleAt")),
        )

    def to_status(self) -> dict[str, Any]:
        """The watch as status holds it; an unset field is null (a merge patch removes it)."""
        return {
            "image": self.image,
            "restarts": dict(self.restarts),
            "unreadySince": self.unready_since,
            "incident": self.incident or None,
            "since": self.since,
            "troubleAt": self.trouble_at,
        }


def _text(value: object) -> str | None:
    """A recorded stamp (None when absent)."""
    return str(value) if value else None


def restart_counts(observed: Observed, image: str) -> dict[str, int]:
    """The restart count of each pod of `image`."""
    return {pod.name: pod.restart_count for pod in observed.pods if pod.image == image}


def restarted(watch: Watch, observed: Observed) -> PodView | None:
    """The first pod of the watched image that restarted since the last look (a new pod's
    restarts all count)."""
    for pod in observed.pods:
        if pod.image == watch.image and pod.restart_count > watch.restarts.get(pod.name, 0):
            return pod
    return None


def decide_health(ctx: Ctx, hold: Transition) -> Transition:
    """Phase Ready with the serving version healthy, flapping (quietly) or Degraded.

    `hold` is what serving asks for (its action repairs drift); the result keeps its action.
    """
    observed, serving = ctx.observed, ctx.serving
    watch = Watch.from_status(ctx.status.get("health"), serving, observed)
    healthy = deployment_complete(observed, serving, ctx.spec.replicas)
    pod = restarted(watch, observed)
    now = format_time(observed.now)
    unready_since = None if healthy else (watch.unready_since or now)
    lost = unready_since is not None and seconds_since(observed, unready_since) >= _limit(ctx)
    watch = replace(watch, restarts=restart_counts(observed, serving), unready_since=unready_since)
    if pod is not None or not healthy:
        watch = replace(watch, trouble_at=now) if watch.incident or pod or lost else watch
    if watch.incident:
        return _open(ctx, hold, watch, healthy, pod)
    if pod is not None or lost:
        reason = R.CONTAINER_RESTARTED if pod is not None else R.READINESS_LOST
        watch = replace(watch, incident=reason.name, since=now)
        return _open(ctx, hold, watch, healthy, pod)
    if healthy:
        quiet = ctx.status.get("reason") == R.UNAVAILABLE.name  # a blip ended: said nothing
        message = R.AVAILABLE.message(image=serving)
        return _with(hold, watch, R.AVAILABLE, message, quiet=quiet, ready=True)
    return _with(hold, watch, R.UNAVAILABLE, _unready_message(ctx, watch), quiet=True)


def _open(
    ctx: Ctx, hold: Transition, watch: Watch, healthy: bool, pod: PodView | None
) -> Transition:
    """An incident open: reported when it opens, kept (no new Event) while it lasts."""
    limit = _limit(ctx)
    if healthy and seconds_since(ctx.observed, watch.trouble_at) >= limit:
        message = R.RECOVERED.message(
            image=ctx.serving, seconds=limit, since=watch.since, incident=watch.incident
        )
        closed = replace(watch, incident="", since=None, trouble_at=None)
        return _with(hold, closed, R.RECOVERED, message, ready=True, degraded=False)
    reason = R.BY_NAME.get(watch.incident, R.READINESS_LOST)
    message = str(ctx.status.get("message") or "")
    if ctx.status.get("reason") != reason.name or pod is not None:
        message = _incident_message(ctx, watch, reason, pod)
    return _with(hold, watch, reason, message, ready=healthy, degraded=True)


def _incident_message(ctx: Ctx, watch: Watch, reason: Reason, pod: PodView | None) -> str:
    """What went wrong, with the container's last termination."""
    serving, observed = ctx.serving, ctx.observed
    if reason is R.CONTAINER_RESTARTED and pod is not None:
        return R.CONTAINER_RESTARTED.message(
            image=serving,
            pod=pod.name,
            count=pod.restart_count,
            termination=pod.last_termination or NO_TERMINATION,
        )
    ended = next((p.last_termination for p in observed.pods if p.last_termination), "")
    return R.READINESS_LOST.message(
        image=serving,
        ready=ready_count(observed, serving),
        replicas=ctx.spec.replicas,
        seconds=round(seconds_since(observed, watch.unready_since)),
        limit=_limit(ctx),
        termination=ended or NO_TERMINATION,
    )


def _unready_message(ctx: Ctx, watch: Watch) -> str:
    """Readiness lost for less than the limit: said in status, not in an Event."""
    return R.UNAVAILABLE.message(
        image=ctx.serving,
        ready=ready_count(ctx.observed, ctx.serving),
        replicas=ctx.spec.replicas,
        seconds=round(seconds_since(ctx.observed, watch.unready_since)),
        limit=_limit(ctx),
    )


def _limit(ctx: Ctx) -> int:
    """spec.readiness.degradedAfterSeconds."""
    return ctx.spec.readiness.degraded_after_seconds


def _with(hold: Transition, watch: Watch, reason: Reason, message: str, **flags: Any) -> Transition:
    """`hold` with this reason and message, status.health recorded, and the flags of
    Transition given (ready, degraded, quiet). An incident's message is its own: not sticky."""
    changes = {**hold.changes, "health": watch.to_status()}
    sticky = flags.get("degraded") is None
    return replace(hold, reason=reason, message=message, changes=changes, sticky=sticky, **flags)
