"""A purpose-built bad image: it becomes ready, then answers 500 to every page.

/healthz and /readyz answer 200 (it passes its probes, so it becomes Ready), /version names this
image, and /metrics counts its responses by status class under the app's own metric name
(myfoodbudget_http_responses_total{status_class="..."}), so a bake window reads the 5xx ratio
as it would the app's. Every other path answers 500. It never opens the database. It listens on
$BIND_HOST (default 127.0.0.1) port $PORT (default 8000).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS: dict[str, int] = {}
LOCK = threading.Lock()
OPERATIONS = ("/healthz", "/readyz", "/version", "/metrics")  # not counted, as in the app


def metrics_page() -> bytes:
    """The response counters in the Prometheus text format."""
    lines = [
        "# HELP myfoodbudget_http_responses_total HTTP responses by status class",
        "# TYPE myfoodbudget_http_responses_total counter",
    ]
    with LOCK:
        for status_class, count in sorted(COUNTS.items()):
            lines.append(
                f'myfoodbudget_http_responses_total{{status_class="{status_class}"}} {count}.0'
            )
    return ("\n".join(lines) + "\n").encode()


class Handler(BaseHTTPRequestHandler):
    """Ready, and broken."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self.answer(200, metrics_page(), "text/plain; version=0.0.4")
            return
        status, body = {
            "/healthz": (200, {"status": "ok"}),
            "/readyz": (200, {"status": "ready"}),
            "/version": (200, {"image": os.environ.get("APP_IMAGE", ""), "bad": True}),
        }.get(path, (500, {"error": "internal", "message": "serves_500 answers 500"}))
        if path not in OPERATIONS:
            with LOCK:
                COUNTS[f"{status // 100}xx"] = COUNTS.get(f"{status // 100}xx", 0) + 1
        self.answer(status, json.dumps(body).encode(), "application/json")

    def answer(self, status: int, data: bytes, content_type: str) -> None:
        """Send one response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


if __name__ == "__main__":
    print("serves_500: ready, and answering 500 to every page", flush=True)
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("BIND_HOST", "127.0.0.1")  # its image (Dockerfile here) sets 0.0.0.0
    # As PID 1 of its container SIGTERM would be ignored (no default action there): stop on it,
    # as the app's gunicorn does, so a rollback does not wait out the grace period.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ThreadingHTTPServer((host, port), Handler).serve_forever()
