"""Every kopf handler of the operator (the only module that imports kopf.on); each is thin."""

from __future__ import annotations

import logging
import os
from typing import Any

import kopf

from gitops.api import (
    BACKUP_REQUEST_ANNOTATION,
    FINALIZER,
    GITSYNC_PLURAL,
    GROUP,
    RELEASE_LABEL,
    RELEASE_PLURAL,
    RESTORE_ANNOTATION,
    RETRY_ANNOTATION,
    SYNC_REQUEST_ANNOTATION,
    VERSION,
)
from gitops.kube import Kube
from gitops.metrics import HealthState, start_server
from gitops.release.reconcile import run_release
from gitops.runtime import Runtime
from gitops.settings import Settings
from gitops.sync.finalize import finalize_gitsync
from gitops.sync.reconcile import config_from_settings, run_gitsync

log = logging.getLogger(__name__)

# --- Shared: start-up, clean-up, and the wake-ups of both controllers' loops ------------------


@kopf.on.startup()
async def start(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Build the runtime (API client, settings) and serve /metrics and /healthz."""
    settings.posting.enabled = False  # Events are emitted explicitly, with the plan's reasons
    settings.persistence.finalizer = FINALIZER
    operator: Settings = memo.get("settings") or Settings.from_env(os.environ)
    memo.runtime = Runtime(Kube.from_environment(), operator)
    memo.health = HealthState()
    memo.http, port = await start_server(operator.metrics_host, operator.metrics_port, memo.health)
    memo.health.mark_started()
    log.info("Serving /metrics and /healthz on port %d", port)


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    """Stop the HTTP server."""
    if memo.get("http") is not None:
        await memo.http.cleanup()


def _poke_on_change(memo: Any, plural: str, body: kopf.Body, annotations: tuple[str, ...]) -> None:
    """Wake an object's loop when its spec or a request annotation changes (not on status)."""
    meta = body.metadata
    key = (plural, meta.namespace or "", meta.name or "")
    marker = (meta.get("generation"), *(meta.annotations.get(a) for a in annotations))
    seen = memo.setdefault("markers", {})
    if seen.get(key) != marker:
        seen[key] = marker
        memo.runtime.wakeups.poke(key)


# --- Release ----------------------------------------------------------------------------------


@kopf.daemon(GROUP, VERSION, RELEASE_PLURAL, cancellation_timeout=5.0)
async def release_daemon(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    """Reconcile the Release for as long as it exists (wakes on events, requeues on timers)."""
    await run_release(memo.runtime, namespace or "default", name)


@kopf.on.event(GROUP, VERSION, RELEASE_PLURAL)
def release_changed(body: kopf.Body, memo: Any, **_: Any) -> None:
    """Wake the Release's loop when its spec or a request annotation changes."""
    requests = (RETRY_ANNOTATION, RESTORE_ANNOTATION, BACKUP_REQUEST_ANNOTATION)
    _poke_on_change(memo, RELEASE_PLURAL, body, requests)


@kopf.on.event("apps", "v1", "deployments", labels={RELEASE_LABEL: kopf.PRESENT})
@kopf.on.event("batch", "v1", "jobs", labels={RELEASE_LABEL: kopf.PRESENT})
@kopf.on.event("", "v1", "pods", labels={RELEASE_LABEL: kopf.PRESENT})
def child_changed(namespace: str | None, labels: kopf.Labels, memo: Any, **_: Any) -> None:
    """Wake the owning Release's loop when its Deployment, a pod or a Job changes."""
    memo.runtime.wakeups.poke((RELEASE_PLURAL, namespace or "", labels[RELEASE_LABEL]))


# --- GitSync ----------------------------------------------------------------------------------


@kopf.daemon(GROUP, VERSION, GITSYNC_PLURAL, cancellation_timeout=5.0)
async def gitsync_daemon(body: kopf.Body, memo: Any, **_: Any) -> None:
    """Pull, build and apply the GitSync for as long as it exists (interval, trigger, back-off)."""
    runtime = memo.runtime
    await run_gitsync(runtime, config_from_settings(runtime.settings), body)


@kopf.on.event(GROUP, VERSION, GITSYNC_PLURAL)
def gitsync_changed(body: kopf.Body, memo: Any, **_: Any) -> None:
    """Wake the GitSync's loop when its spec or its sync-requested annotation changes."""
    _poke_on_change(memo, GITSYNC_PLURAL, body, (SYNC_REQUEST_ANNOTATION,))


@kopf.on.delete(GROUP, VERSION, GITSYNC_PLURAL)
async def gitsync_deleted(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    """Delete what the GitSync applied when its spec says so; retried until done."""
    retry = await finalize_gitsync(memo.runtime, namespace or "default", name)
    if retry is not None:
        raise kopf.TemporaryError("what the GitSync applied is not cleaned up yet", delay=retry)
