"""The app image, started as docs/homelab.md starts it: read-only root, /tmp on tmpfs, a volume."""

from __future__ import annotations

import json
import socket
import tempfile
from pathlib import Path

from images_support import Engine, app_args, get, start_app
from polling import wait_for

from app.db import SCHEMA_VERSION, SchemaTooNewError

DATABASE = "sqlite3.connect('/data/myfoodbudget.db')"
READ_VERSION = f"import sqlite3; print({DATABASE}.execute('PRAGMA user_version').fetchone()[0])"


def test_starts_read_only_migrates_and_serves_as_uid_10001(
    engine: Engine, app_image: str, port: int, volume: str
) -> None:
    """Migrations run at start onto the volume; /readyz 200; the processes run as 10001."""
    cid = start_app(engine, app_image, port, volume)
    assert engine.inspect(cid)["HostConfig"]["ReadonlyRootfs"] is True
    ids = engine.ok("exec", cid, "sh", "-c", 'for p in /proc/[0-9]*; do stat -c %u "$p"; done')
    assert set(ids.split()) == {"10001"}, ids
    status, body = get(f"http://127.0.0.1:{port}/version")
    assert status == 200
    version = json.loads(body)
    assert version["schema_version"] == SCHEMA_VERSION
    assert version["version"] != "0+unknown", "the image lost the package's metadata"
    found = engine.ok("exec", cid, "python", "-c", READ_VERSION)
    assert int(found) == SCHEMA_VERSION
    assert engine.run("exec", cid, "touch", "/srv/x").returncode != 0, "the root is writable"


def test_healthcheck_of_the_dockerfile_turns_healthy(
    engine: Engine, app_image: str, port: int, volume: str
) -> None:
    """The image's own HEALTHCHECK command passes (run every second here instead of 30 s)."""
    cid = start_app(engine, app_image, port, volume, "--health-interval", "1s")
    health = engine.inspect(cid)["Config"]["Healthcheck"]["Test"]
    assert "/healthz" in " ".join(health)

    def healthy() -> bool:
        status = engine.state(cid)["Health"]["Status"]
        assert status != "unhealthy", engine.state(cid)["Health"]
        return bool(status == "healthy")

    wait_for(healthy, timeout=60, what="health status healthy", interval=0.5)


def worker_reading(engine: Engine, cid: str) -> bool:
    """True when a thread of a gunicorn worker is blocked reading a request from its socket."""
    script = (
        "for t in /proc/[0-9]*/task/*; do "
        'case "$(cat $t/wchan 2>/dev/null)" in *sk_wait_data*|*wait_woken*) echo "$t";; esac; done'
    )
    return bool(engine.ok("exec", cid, "sh", "-c", script))


def test_a_request_in_flight_completes_and_stop_is_clean(
    engine: Engine, app_image: str, port: int, volume: str
) -> None:
    """`docker stop` while a request's body is still arriving: it is answered, then the app
    exits 0 on its STOPSIGNAL within docker's 5 s (past that docker would SIGKILL: 137)."""
    # no HEALTHCHECK here: its probe would be one more process reading a socket
    cid = start_app(engine, app_image, port, volume, "--no-healthcheck")
    body = json.dumps({"username": "inflight", "email": "in@flight.test", "password": "p" * 12})
    head = (
        f"POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head.encode() + body[:10].encode())
        wait_for(lambda: worker_reading(engine, cid), timeout=20, what="a worker reading the body")
        stop = engine.start_stop(cid, seconds=5)
        wait_for(lambda: "Handling signal: term" in engine.logs(cid), what="gunicorn's SIGTERM")
        conn.sendall(body[10:].encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
    stop.wait(timeout=30)
    state = engine.state(cid)
    assert state["ExitCode"] == 0, f"exit {state['ExitCode']} (137: killed after 5 s)"


def test_missing_or_short_secret_key_stops_the_start_naming_it(
    engine: Engine, app_image: str, port: int, volume: str
) -> None:
    """No SECRET_KEY, or one too short: exit 1 with a line naming SECRET_KEY."""
    args = [a for a in app_args(port, volume) if not a.startswith("SECRET_KEY=")]
    args.remove("--env")  # the one that preceded SECRET_KEY=
    for extra, expected in (((), "SECRET_KEY is required"), (("--env", "SECRET_KEY=short"),
                            "SECRET_KEY is too short")):  # fmt: skip
        status, logs = engine.once(app_image, *args, *extra)
        assert status == 1, logs
        assert expected in logs, logs
        assert "Traceback" not in logs, logs


def test_a_newer_schema_stops_the_start_with_the_promised_message(
    engine: Engine, app_image: str, port: int, volume: str
) -> None:
    """A database migrated by a newer build: exit 1 and README's message, nothing changed."""
    newer = SCHEMA_VERSION + 1
    write = f"import sqlite3; {DATABASE}.execute('PRAGMA user_version = {newer}')"
    status, logs = engine.once(
        app_image, "--volume", f"{volume}:/data", command=("python", "-c", write)
    )
    assert status == 0, logs
    status, logs = engine.once(app_image, *app_args(port, volume))
    assert status == 1, logs
    assert SchemaTooNewError(newer).message in logs, logs
    assert "restore a snapshot taken before the upgrade, or deploy a newer image" in logs
    status, logs = engine.once(
        app_image, "--volume", f"{volume}:/data", command=("python", "-c", READ_VERSION)
    )
    assert logs.strip() == str(newer)


def test_a_root_owned_volume_is_named_with_the_uid_it_needs(
    engine: Engine, app_image: str, port: int
) -> None:
    """A bind mount only root may write: exit 1 naming the path, uid 10001 and the fix."""
    with tempfile.TemporaryDirectory(prefix="root-owned-") as folder:
        Path(folder).chmod(0o755)
        args = app_args(port, "unused")
        args = tuple(a if not a.endswith(":/data") else f"{folder}:/data" for a in args)
        status, logs = engine.once(app_image, *args)
    assert status == 1, logs
    assert "/data/myfoodbudget.db" in logs, logs
    assert "uid 10001" in logs, logs
    assert "chown" in logs, logs
    assert "Traceback" not in logs, logs
