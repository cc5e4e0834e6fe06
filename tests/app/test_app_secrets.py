"""The app's SECRET_KEY never shows: in no log line, no answer, no error message.

A canary key runs the production app under real gunicorn at LOG_LEVEL=DEBUG through every
GET route and the ways a request goes wrong (bad input, a forged cookie and CSRF token, a
revoked token, a server error); then the canary is searched for in everything gunicorn
printed and every answer. The configuration errors and the log redaction are checked in
process.
"""

from __future__ import annotations

import http.client
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from apphelpers import Server, app_env, flask_cli
from routewalk import routes
from support.canary import CANARIES, COLLECTOR

from app import create_app
from app.config import ConfigError, load_config

CANARY = CANARIES["secret-key"]


def leaks(text: str) -> list[str]:
    """The canary, or a long enough piece of it, wherever it shows in text."""
    pieces = {CANARY, CANARY[7:23], CANARY[-16:]}
    return [piece for piece in pieces if piece in text]


Answer = tuple[int, str]  # a status, and the headers and body as text


def kept(resp: requests.Response) -> Answer:
    """What a client saw of an answer."""
    return resp.status_code, f"{resp.headers} {resp.text}"


def visit(base: str, token: str) -> list[Answer]:
    """Log in and go everywhere, right and wrong; every answer seen."""
    http, bearer = requests.Session(), {"Authorization": f"Bearer {token}"}
    form = http.get(f"{base}/auth/login", timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    cookie = {"Cookie": f"session={form.cookies['session']}"}
    login = {"username": "keeper", "password": "pw-12345678", "csrf_token": csrf.group(1)}
    logged_in = http.post(f"{base}/auth/login", data=login, headers=cookie, allow_redirects=False)
    answers = [kept(form), kept(logged_in)]
    cookie = {"Cookie": f"session={logged_in.cookies['session']}"}
    for route in routes(create_app({"APP_ENV": "testing"})):
        if route.method == "GET":
            url = base + route.url({"ingredients": 1, "recipes": 1, "purchases": 1})
            answers.append(kept(http.get(url, headers={**cookie, **bearer}, timeout=10)))
    wrong: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/auth/login", {"data": {"username": "keeper", "password": "x"}}),  # no CSRF
        ("POST", "/auth/login", {"data": {**login, "csrf_token": "forged"}, "headers": cookie}),
        ("GET", "/", {"headers": {"Cookie": "session=eyJ1c2VyX2lkIjoxfQ.forged.sig"}}),
        ("POST", "/api/v1/ingredients", {"data": b"{nope", "headers": bearer}),
        ("PUT", "/api/v1/ingredients", {"headers": bearer}),
        ("GET", "/api/v1/ingredients", {"headers": {"Authorization": "Bearer nope"}}),
        ("GET", "/no/such/page", {}),
    ]
    for method, path, extra in wrong:
        answers.append(kept(http.request(method, base + path, timeout=10, **extra)))
    return [*answers, oversized(base, bearer)]


def oversized(base: str, headers: dict[str, str]) -> Answer:
    """A body announced larger than the limit (413), without sending it: a server may close
    the connection on an unread body, and a client still sending would see a reset."""
    conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
    try:
        conn.request("POST", "/api/v1/ingredients", headers={**headers, "Content-Length": "300000"})
        raw = conn.getresponse()
        return raw.status, f"{raw.getheaders()} {raw.read().decode()}"
    finally:
        conn.close()


def account(base: str) -> tuple[list[Answer], str]:
    """Register through the API and get a token."""
    body = {"username": "keeper", "email": "k@example.com", "password": "pw-12345678"}
    user = requests.post(f"{base}/api/v1/users", json=body, timeout=10)
    token = requests.post(f"{base}/api/v1/tokens", auth=("keeper", "pw-12345678"), timeout=10)
    return [kept(user), kept(token)], token.json()["token"]


@pytest.mark.slow
def test_the_secret_key_shows_in_no_answer_and_no_log_line(tmp_path: Path) -> None:
    env = app_env(tmp_path / "k.db", SECRET_KEY=CANARY, LOG_LEVEL="DEBUG")
    upgrade = flask_cli(env, "db", "upgrade")
    srv = Server(env, tmp_path / "gunicorn.log")
    srv.wait_ready()
    try:
        answers, token = account(srv.url)
        answers += visit(srv.url, token)
        with closing(sqlite3.connect(tmp_path / "k.db")) as db:
            db.execute("DROP TABLE recipes")  # the next recipe call fails inside: a 500
        bearer = {"Authorization": f"Bearer {token}"}
        answers.append(kept(requests.get(f"{srv.url}/api/v1/recipes", headers=bearer, timeout=10)))
    finally:
        assert srv.stop() == 0
    statuses = {status for status, _ in answers}
    assert {200, 201, 302, 400, 401, 404, 405, 413, 500} <= statuses, statuses
    output = srv.output()
    assert '"level": "ERROR"' in output  # the 500 was logged, with its traceback
    assert "Traceback" in output
    everything = [upgrade.stdout, upgrade.stderr, output] + [text for _, text in answers]
    for text in everything:
        COLLECTOR.add_text("the app under gunicorn (log and answers)", text)
    assert [leaks(text) for text in everything if leaks(text)] == []


def test_configuration_errors_never_repeat_the_key() -> None:
    for secret, bad in ((CANARY, {"LOG_LEVEL": "LOUD"}), (CANARY[:12], {})):
        with pytest.raises(ConfigError) as info:
            load_config({"APP_ENV": "production", "SECRET_KEY": secret, **bad})
        assert secret not in info.value.format_message()
        assert secret not in str(info.value.problems)


def test_a_key_that_reaches_a_log_record_is_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in app_env(tmp_path / "r.db", SECRET_KEY=CANARY, LOG_LEVEL="DEBUG").items():
        monkeypatch.setenv(name, value)
    app = create_app()

    def careless() -> str:
        """A bug that puts the key in a log line and in an exception."""
        app.logger.warning("using key %s", app.config["SECRET_KEY"])
        raise RuntimeError(f"bad key {app.config['SECRET_KEY']}")

    app.add_url_rule("/careless", view_func=careless)
    assert app.test_client().get(f"/careless?k={CANARY}").status_code == 500
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["message"] for line in lines][:2] == [
        "using key [redacted]",
        "unhandled error on GET /careless",
    ]
    assert "RuntimeError: bad key [redacted]" in lines[1]["exception"]
    assert leaks(json.dumps(lines)) == []
