"""A purpose-built bad image: migrates the SQLite schema, then serves but never becomes ready.

It bumps PRAGMA user_version and adds a table in the database named by DATABASE_URL (as the real
app reads it), so the previous version refuses the newer schema until the snapshot is restored.
/healthz answers 200 (alive), /readyz always 503, /version names this image. It listens on
$BIND_HOST (default 127.0.0.1) port $PORT (default 8000).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "sqlite:///"


def database_path() -> str:
    """The file the real app would use (DATABASE_URL=sqlite:////data/myfoodbudget.db)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(PREFIX):
        sys.exit(f"migrate_never_ready: DATABASE_URL must start with {PREFIX}, got {url!r}")
    return url[len(PREFIX) :]


def migrate(path: str) -> int:
    """Add a table and bump the schema version by one; return the new version."""
    conn = sqlite3.connect(path, timeout=10)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0]) + 1
        conn.executescript(
            "BEGIN IMMEDIATE;"
            "CREATE TABLE IF NOT EXISTS bad_release_marker (id INTEGER PRIMARY KEY, note TEXT);"
            "INSERT INTO bad_release_marker (note) VALUES ('written by migrate_never_ready');"
            f"PRAGMA user_version = {version};"
            "COMMIT;"
        )
        return version
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    """Alive, never ready."""

    def do_GET(self) -> None:
        status, body = {
            "/healthz": (200, {"status": "ok"}),
            "/version": (200, {"image": os.environ.get("APP_IMAGE", ""), "bad": True}),
        }.get(self.path, (503, {"status": "not ready", "failing": ["schema"]}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


if __name__ == "__main__":
    version = migrate(database_path())
    print(f"migrate_never_ready: schema now at version {version}; never ready", flush=True)
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("BIND_HOST", "127.0.0.1")  # its image (Dockerfile here) sets 0.0.0.0
    # As PID 1 of its container SIGTERM would be ignored (no default action there): stop on it,
    # as the app's gunicorn does, so a rollback does not wait out the grace period.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ThreadingHTTPServer((host, port), Handler).serve_forever()
