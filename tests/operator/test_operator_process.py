"""The operator's entry point and its HTTP endpoints (/healthz, /metrics)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import aiohttp
from gitops.metrics import RELEASES, HealthState, start_server


def test_bad_environment_stops_start_up_with_one_line_per_variable() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPERATOR_IMAGE"}
    env.update(METRICS_PORT="eighty", POLL_SECONDS="0")
    done = subprocess.run(
        [sys.executable, "-m", "gitops"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "gitops: OPERATOR_IMAGE is required but not set"
    assert lines[1].startswith("gitops: METRICS_PORT='eighty' is invalid")
    assert lines[2].startswith("gitops: POLL_SECONDS='0' is invalid")
    assert "fix the environment" in lines[3]


def test_help_names_the_namespace_option() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gitops", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert "--namespace" in done.stdout


async def scrape(health: HealthState) -> tuple[int, int, str]:
    """Start the server on a free port, read /healthz before and after start-up, and /metrics."""
    runner, port = await start_server("127.0.0.1", 0, health)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                before = response.status
            health.mark_started()
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                after = response.status
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text()
    finally:
        await runner.cleanup()
    return before, after, text


def test_health_turns_ok_after_start_up_and_metrics_are_served() -> None:
    RELEASES.labels("Ready").inc()
    before, after, text = asyncio.run(scrape(HealthState()))
    assert (before, after) == (503, 200)
    assert 'gitops_releases_total{outcome="Ready"}' in text
    assert "gitops_snapshot_duration_seconds_bucket" in text
