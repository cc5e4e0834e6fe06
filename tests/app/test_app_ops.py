"""Operations endpoints, headers and logs in process; graceful shutdown of gunicorn."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import requests
from apphelpers import Server, app_env, flask_cli
from flask import Flask
from flask.testing import FlaskClient

from app import create_app


def test_healthz_does_not_touch_the_database(tmp_path: Path) -> None:
    app = create_app({"APP_ENV": "testing", "DATABASE": str(tmp_path / "absent.db")})
    resp = app.test_client().get("/healthz")
    assert resp.get_json() == {"status": "ok"}
    assert not (tmp_path / "absent.db").exists()


def test_version_reports_image_and_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_IMAGE", "ghcr.io/o/myfoodbudget:sha-1@sha256:ab")
    monkeypatch.setenv("GIT_COMMIT", "1a2b3c4")
    app = create_app({"APP_ENV": "testing"})
    body = app.test_client().get("/version").get_json()
    assert body["image"] == "ghcr.io/o/myfoodbudget:sha-1@sha256:ab"
    assert body["commit"] == "1a2b3c4"
    assert body["version"] == "0.1.0"


def test_metrics_count_requests_by_endpoint(client: FlaskClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert (
        'myfoodbudget_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}' in text
    )
    assert 'myfoodbudget_http_request_duration_seconds_bucket{endpoint="ops.healthz"' in text


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    for path in ("/healthz", "/auth/login", "/api/v1/ingredients", "/missing"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers


def test_production_logs_one_json_line_per_request_and_hsts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = app_env(tmp_path / "p.db", LOG_LEVEL="INFO", HSTS_SECONDS="600")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert flask_cli(env, "db", "upgrade").returncode == 0
    app: Flask = create_app()
    resp = app.test_client().get("/healthz?token=secret")
    assert resp.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1
    assert lines[0]["path"] == "/healthz"
    assert lines[0]["status"] == 200
    assert lines[0]["endpoint"] == "ops.healthz"
    assert "secret" not in json.dumps(lines[0])


def test_production_logs_errors_as_json_with_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in app_env(tmp_path / "e.db", LOG_LEVEL="ERROR").items():
        monkeypatch.setenv(name, value)
    app = create_app()

    def explode() -> str:
        """Fail the way a bug would."""
        raise RuntimeError("boom")

    app.add_url_rule("/explode", view_func=explode)
    assert app.test_client().get("/explode").status_code == 500
    (line,) = capsys.readouterr().out.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["message"] == "unhandled error on GET /explode"
    assert "RuntimeError: boom" in entry["exception"]


@pytest.mark.slow
def test_gunicorn_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    env = app_env(tmp_path / "g.db", GRACEFUL_TIMEOUT="10", LOG_LEVEL="INFO")
    assert flask_cli(env, "db", "upgrade").returncode == 0
    srv = Server(env, tmp_path / "gunicorn.log")
    srv.wait_ready()
    assert requests.get(f"{srv.url}/healthz", timeout=5).ok
    began = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0
    output = srv.output()
    assert time.monotonic() - began < 10, output
    assert "Handling signal: term" in output
    assert "Shutting down: Master" in output
    assert '"path": "/healthz", "status": 200' in output
