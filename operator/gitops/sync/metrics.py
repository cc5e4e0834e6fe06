"""Prometheus metrics of the GitSync controller."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from gitops.sync.reasons import SYNCED

UP_TO_DATE = "UpToDate"  # the outcome of an attempt that found its commit already applied

SYNCS = Counter(
    "gitops_syncs_total",
    "Sync attempts, by outcome (Synced, UpToDate, FetchFailed, BuildFailed, ...).",
    ["outcome"],
)
SYNC_SECONDS = Histogram(
    "gitops_sync_duration_seconds",
    "Time one sync attempt took, from fetch to prune.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
LAST_SUCCESS = Gauge(
    "gitops_sync_last_success_timestamp_seconds",
    "Unix time of the last sync that left the cluster in step with git.",
    ["namespace", "name"],
)
OBJECTS_APPLIED = Counter(
    "gitops_sync_objects_applied_total",
    "Objects sent with server-side apply by successful syncs.",
    ["namespace", "name"],
)


def record(namespace: str, name: str, outcome: str, seconds: float, applied: int) -> None:
    """Count one finished attempt."""
    SYNCS.labels(outcome).inc()
    SYNC_SECONDS.observe(seconds)
    if applied:
        OBJECTS_APPLIED.labels(namespace, name).inc(applied)
    if outcome in (SYNCED.name, UP_TO_DATE):
        LAST_SUCCESS.labels(namespace, name).set_to_current_time()
