"""/metrics through real gunicorn with two workers: responses by status class, summed right.

A release's bake window reads `myfoodbudget_http_responses_total{status_class}` from a new
pod and computes the 5xx ratio, so the counts must cover every worker and leave out the
probes and the scrapes themselves.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
import requests
from apphelpers import Server, app_env, flask_cli
from polling import wait_for
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow
METRIC = "myfoodbudget_http_responses_total"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    """A production gunicorn with two workers on tmp_path/m.db, metrics in tmp_path/metrics."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    env = app_env(tmp_path / "m.db", PROMETHEUS_MULTIPROC_DIR=str(metrics))
    assert flask_cli(env, "db", "upgrade").returncode == 0
    srv = Server(env, tmp_path / "gunicorn.log")
    srv.wait_ready()
    yield srv
    assert srv.stop() == 0


def status_classes(url: str) -> dict[str, float]:
    """The status-class counts /metrics reports."""
    text = requests.get(f"{url}/metrics", timeout=5).text
    counts = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == METRIC:
                counts[sample.labels["status_class"]] = sample.value
    return counts


def send(url: str, count: int, headers: dict[str, str] | None = None) -> Counter[str]:
    """GET url count times, each on a new connection, 8 at a time; the status classes seen."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = pool.map(
            lambda _: requests.get(url, headers=headers, timeout=10).status_code, range(count)
        )
        return Counter(f"{code // 100}xx" for code in codes)


def test_status_classes_are_counted_across_both_workers(served: Server, tmp_path: Path) -> None:
    srv, metrics = served, tmp_path / "metrics"
    seen: Counter[str] = Counter()
    body = {"username": "watcher", "email": "w@example.com", "password": "pw-12345678"}
    seen["2xx"] += requests.post(f"{srv.url}/api/v1/users", json=body, timeout=10).ok
    token = requests.post(f"{srv.url}/api/v1/tokens", auth=("watcher", "pw-12345678"), timeout=10)
    seen["2xx"] += token.ok
    bearer = {"Authorization": f"Bearer {token.json()['token']}"}

    def both_workers_counted() -> bool:
        """Serve pages until each worker has counted at least one response."""
        seen.update(send(f"{srv.url}/auth/login", 16))
        return len(list(metrics.glob("counter_*.db"))) >= 2

    wait_for(both_workers_counted, timeout=30, what="both gunicorn workers serving")
    seen.update(send(f"{srv.url}/api/v1/ingredients", 7))  # no token: 401
    with closing(sqlite3.connect(tmp_path / "m.db")) as db:
        db.execute("DROP TABLE api_tokens")  # every authenticated API call now fails inside
    seen.update(send(f"{srv.url}/api/v1/ingredients", 9, bearer))
    for _ in range(3):
        requests.get(f"{srv.url}/healthz", timeout=5)  # probes are not counted
    assert seen["4xx"] == 7
    assert seen["5xx"] == 9
    assert status_classes(srv.url) == dict(seen)
    ratio = seen["5xx"] / sum(seen.values())
    assert 0 < ratio < 1
