"""Prometheus metrics and the operator's small HTTP server (/metrics and /healthz)."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

DURATION_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)

RELEASES = Counter(
    "gitops_releases_total",
    "Releases finished, by outcome (Ready, RolledBack, Failed).",
    ["outcome"],
)
ROLLBACKS = Counter(
    "gitops_rollbacks_total",
    "Automatic rollbacks, by the reason the new version failed.",
    ["reason"],
)
SNAPSHOTS = Counter(
    "gitops_snapshots_total",
    "Snapshot Jobs finished, by outcome (succeeded, failed).",
    ["outcome"],
)
RESTORES = Counter(
    "gitops_restores_total",
    "Restore Jobs finished, by outcome (succeeded, failed).",
    ["outcome"],
)
PREFLIGHTS = Counter(
    "gitops_preflights_total",
    "Preflights of a new image on a copy of the database, by outcome (passed, failed).",
    ["outcome"],
)
BAKES = Counter(
    "gitops_bakes_total",
    "Bake windows of a new version, by outcome (passed, failed).",
    ["outcome"],
)
RELEASE_SECONDS = Histogram(
    "gitops_release_duration_seconds",
    "Time from a new image to its outcome.",
    ["outcome"],
    buckets=DURATION_BUCKETS,
)
SNAPSHOT_SECONDS = Histogram(
    "gitops_snapshot_duration_seconds",
    "Time a snapshot Job took, from creation to result.",
    buckets=DURATION_BUCKETS,
)
RECONCILE_ERRORS = Counter(
    "gitops_reconcile_errors_total",
    "Reconciles that failed with an API or unexpected error and were retried.",
    ["kind"],
)
BACKUPS = Counter(
    "gitops_backups_total",
    "Backups finished, by copy (local: on the claim, offsite: in the restic repository) and "
    "outcome (succeeded, failed).",
    ["copy", "outcome"],
)
VERIFICATIONS = Counter(
    "gitops_backup_verifications_total",
    "Verifications of the newest backup (restored and checked), by outcome (passed, failed).",
    ["outcome"],
)
BACKUP_STALE = Gauge(
    "gitops_backup_stale",
    "1 while a Release's newest backup is older than twice its schedule's period, else 0.",
    ["release"],
)
LAST_BACKUP = Gauge(
    "gitops_backup_last_success_timestamp_seconds",
    "When a Release's newest backup was taken, by copy (local, offsite).",
    ["release", "copy"],
)
VOLUME_USED = Gauge(
    "gitops_volume_used_percent",
    "How full a Release's claim is, as its last Job measured it.",
    ["release"],
)
NOTIFICATIONS = Counter(
    "gitops_notifications_total",
    "Notifications, by channel (webhook, smtp) and outcome (sent, failed).",
    ["channel", "outcome"],
)


class HealthState:
    """What /healthz reports: up once the operator has started, with its start time."""

    def __init__(self) -> None:
        self.started_at: float | None = None

    def mark_started(self) -> None:
        """Record that the operator finished its start-up."""
        self.started_at = time.time()


async def _metrics(_request: web.Request) -> web.Response:
    """Serve the Prometheus text exposition."""
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def build_app(health: HealthState) -> web.Application:
    """The aiohttp application with /metrics and /healthz."""

    async def healthz(_request: web.Request) -> web.Response:
        if health.started_at is None:
            return web.json_response({"status": "starting"}, status=503)
        return web.json_response({"status": "ok", "uptimeSeconds": time.time() - health.started_at})

    app = web.Application()
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/healthz", healthz)
    return app


async def start_server(host: str, port: int, health: HealthState) -> tuple[web.AppRunner, int]:
    """Start serving on host:port (0 picks a free port); return the runner and the real port."""
    runner = web.AppRunner(build_app(health), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    addresses = runner.addresses
    return runner, int(addresses[0][1]) if addresses else port
