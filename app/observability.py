"""Per-request metrics, JSON logs and security headers."""

from __future__ import annotations

import json
import logging
import os
import sys
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "myfoodbudget_http_requests_total", "HTTP requests handled", ["method", "endpoint", "status"]
)
# what a bake window reads: every response but the operations endpoints' (probes and scrapes
# would dilute the error ratio), by status class; summed over gunicorn workers at /metrics
RESPONSES = Counter(
    "myfoodbudget_http_responses_total",
    "HTTP responses by status class, operations endpoints (probes, /metrics) excluded",
    ["status_class"],
)
LATENCY = Histogram(
    "myfoodbudget_http_request_duration_seconds",
    "Time spent handling HTTP requests",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
log = logging.getLogger("app.requests")


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the message and any extra request fields."""
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry)


class RedactSecrets(logging.Filter):
    """Blank out the app's secrets in every record before it is formatted.

    Nothing logs the configuration; this is the second line: a secret that reaches a message,
    a request field or a traceback still never reaches the output.
    """

    def __init__(self, secrets: list[str]) -> None:
        """Keep the values to hide."""
        super().__init__()
        self.secrets = secrets

    def redact(self, text: str) -> str:
        """text with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message, the extra fields and the traceback; keep the record."""
        record.msg, record.args = self.redact(record.getMessage()), None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {
                k: self.redact(v) if isinstance(v, str) else v for k, v in fields.items()
            }
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return True


def setup_logging(app: Flask) -> None:
    """Log to stdout, as JSON lines when configured; secrets never reach the output."""
    handler = logging.StreamHandler(sys.stdout)
    if app.config["JSON_LOGS"]:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    secret = app.config.get("SECRET_KEY") or ""
    handler.addFilter(RedactSecrets([secret] if len(secret) >= 8 else []))
    for logger in (app.logger, log):
        logger.handlers[:] = [handler]
        logger.setLevel(app.config["LOG_LEVEL"])
        logger.propagate = False


def metrics_response() -> Response:
    """Render the Prometheus metrics (merged across gunicorn workers when multiprocess)."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        # prometheus_client's multiprocess collector carries no annotations
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _start_timer() -> None:
    """Remember when the request started."""
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    """Record metrics, add security headers and log one line."""
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    LATENCY.labels(request.method, endpoint).observe(elapsed)
    if request.blueprint != "ops":
        RESPONSES.labels(f"{response.status_code // 100}xx").inc()
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    hsts = current_app.config["HSTS_SECONDS"]
    if hsts:
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    fields = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round(elapsed * 1000, 2),
        "endpoint": endpoint,
    }
    log.info(
        "%s %s %s", request.method, request.path, response.status_code, extra={"fields": fields}
    )
    return response


def init_app(app: Flask) -> None:
    """Wire logging, metrics and headers into the app."""
    setup_logging(app)
    app.before_request(_start_timer)
    app.after_request(_finish)
