"""The failed-login limit holds for the whole server: real gunicorn, four workers, over HTTP."""

from __future__ import annotations

import json
import re
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
from prometheus_client.mmap_dict import MmapedDict

from app.config import Config

pytestmark = pytest.mark.slow
LIMIT = Config.LOGIN_RATE_LIMIT
LOGINS = {"auth.login", "api.issue_token"}
PASSWORD = "pw-12345678"


@pytest.fixture
def server4(tmp_path: Path) -> Iterator[Server]:
    """Production gunicorn with four workers on tmp_path/l.db, metrics in tmp_path/metrics."""
    (tmp_path / "metrics").mkdir()
    env = app_env(tmp_path / "l.db", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    assert flask_cli(env, "db", "upgrade").returncode == 0
    srv = Server(env, tmp_path / "gunicorn.log", workers=4)
    srv.wait_ready()
    body = {"username": "victim", "email": "v@example.com", "password": PASSWORD}
    assert requests.post(f"{srv.url}/api/v1/users", json=body, timeout=10).status_code == 201
    yield srv
    assert srv.stop() == 0


def page_login(url: str, password: str) -> int:
    """Log in through the HTML form (CSRF token and session cookie as a browser sends them)."""
    form = requests.get(f"{url}/auth/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    resp = requests.post(
        f"{url}/auth/login",
        data={"csrf_token": token.group(1), "username": "victim", "password": password},
        headers={"Cookie": f"session={form.cookies['session']}"},  # a Secure cookie, over http
        allow_redirects=False,
        timeout=10,
    )
    return resp.status_code


def api_login(url: str, password: str) -> int:
    """Ask the API for a token with HTTP Basic credentials."""
    return requests.post(f"{url}/api/v1/tokens", auth=("victim", password), timeout=10).status_code


def logins_per_worker(metrics: Path) -> list[float]:
    """How many login POSTs each gunicorn worker answered (from its own metrics file)."""
    served = []
    for path in metrics.glob("counter_*.db"):
        count = 0.0
        for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            _metric, name, labels, _help = json.loads(key)
            if name == "myfoodbudget_http_requests_total" and labels["endpoint"] in LOGINS:
                count += value if labels["method"] == "POST" else 0
        served.append(count)
    return [count for count in served if count]


def test_five_failures_in_all_however_many_workers_answer(server4: Server, tmp_path: Path) -> None:
    codes: list[int] = []

    def a_round_of_wrong_passwords() -> bool:
        """Twelve wrong passwords at once, half by form, half by API; True once two or more
        workers have answered some."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes.extend(
                pool.map(
                    lambda i: (page_login if i % 2 else api_login)(server4.url, "wrong-pass"),
                    range(12),
                )
            )
        return len(logins_per_worker(tmp_path / "metrics")) >= 2

    wait_for(a_round_of_wrong_passwords, timeout=60, what="two workers answering logins")
    assert Counter(codes) == {401: LIMIT, 429: len(codes) - LIMIT}
    assert page_login(server4.url, PASSWORD) == 429
    assert api_login(server4.url, PASSWORD) == 429
    with closing(sqlite3.connect(tmp_path / "l.db")) as db:
        assert db.execute("SELECT COUNT(*) FROM login_failures").fetchone()[0] == LIMIT
