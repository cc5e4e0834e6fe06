"""Every kopf handler of the operator (the only module that imports kopf.on); each is thin."""

from __future__ import annotations

import logging
import os
from typing import Any

import kopf

from gitops.kube import Kube
from gitops.metrics import HealthState, start_server
from gitops.release.builders import RELEASE_LABEL
from gitops.release.model import GROUP, RETRY_ANNOTATION
from gitops.release.reconcile import Runtime, run_release
from gitops.settings import Settings
from gitops.sync.reconcile import config_from_settings as sync_config
from gitops.sync.reconcile import run_loop as run_gitsync

log = logging.getLogger(__name__)
VERSION = "v1alpha1"

# --- Shared: start-up and clean-up ------------------------------------------------------------


@kopf.on.startup()
async def start(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Build the runtime (API client, settings) and serve /metrics and /healthz."""
    settings.posting.enabled = False  # Events are emitted explicitly, with the plan's reasons
    settings.persistence.finalizer = f"{GROUP}/finalizer"
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


# --- Release ----------------------------------------------------------------------------------


@kopf.daemon(GROUP, VERSION, "releases", cancellation_timeout=5.0)
async def release_daemon(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    """Reconcile the Release for as long as it exists (wakes on events, requeues on timers)."""
    await run_release(memo.runtime, namespace or "default", name)


@kopf.on.event(GROUP, VERSION, "releases")
def release_changed(namespace: str | None, name: str, body: kopf.Body, memo: Any, **_: Any) -> None:
    """Wake the Release's loop when its spec or retry annotation changes (not on status writes)."""
    marker = (body.metadata.get("generation"), body.metadata.annotations.get(RETRY_ANNOTATION))
    seen = memo.setdefault("release_markers", {})
    if seen.get((namespace, name)) != marker:
        seen[(namespace, name)] = marker
        memo.runtime.wakeups.poke((namespace, name))


@kopf.on.event("apps", "v1", "deployments", labels={RELEASE_LABEL: kopf.PRESENT})
@kopf.on.event("batch", "v1", "jobs", labels={RELEASE_LABEL: kopf.PRESENT})
@kopf.on.event("", "v1", "pods", labels={RELEASE_LABEL: kopf.PRESENT})
def child_changed(namespace: str | None, labels: kopf.Labels, memo: Any, **_: Any) -> None:
    """Wake the owning Release's loop when its Deployment, a pod or a Job changes."""
    memo.runtime.wakeups.poke((namespace, labels[RELEASE_LABEL]))


# --- GitSync (added by the GitSync controller) ------------------------------------------------


@kopf.daemon(GROUP, VERSION, "gitsyncs", cancellation_timeout=5.0)
async def gitsync_daemon(body: kopf.Body, memo: Any, **_: Any) -> None:
    """Pull, build and apply the GitSync for as long as it exists (interval, trigger, back-off)."""
    runtime = memo.runtime
    await run_gitsync(runtime.kube, sync_config(runtime.settings), body)
