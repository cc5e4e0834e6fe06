"""Load the dashboard and an API endpoint under gunicorn, beside a one-line Flask baseline.

One year of data for one user, 20 concurrent keep-alive clients, the same gunicorn settings
for the app and the baseline; prints p50/p99 latency and requests/s with ratios to the baseline.
`--quick` (make test runs it): 4 clients for 1 s per target, so the benchmark does not rot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import connect, upgrade  # noqa: E402
from app.models.users import create_token, create_user  # noqa: E402

QUICK = "--quick" in sys.argv[1:]
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4" if QUICK else "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "1" if QUICK else "6"))
BASELINE = (
    "from flask import Flask\napp = Flask(__name__)\napp.add_url_rule('/', 'ok', lambda: 'ok')\n"
)
CATEGORIES = ["groceries", "bakery", "produce", "dairy", "meat", "drinks", "snacks"]


def purchase_rows(user_id: int, today: dt.date) -> list[tuple[object, ...]]:
    """One to five purchases a day for the year up to today."""
    rng = random.Random(7)
    rows: list[tuple[object, ...]] = []
    for back in range(365):
        day = (today - dt.timedelta(days=back)).isoformat()
        for _ in range(rng.randint(1, 5)):
            amount, category = rng.randint(99, 9999), rng.choice(CATEGORIES)
            rows.append((user_id, day, amount, "Market", category, ""))
    return rows


def seed_catalog(conn: sqlite3.Connection, user_id: int) -> None:
    """40 ingredients and 10 recipes of 4 lines each."""
    for i in range(40):
        conn.execute(
            "INSERT INTO ingredients (user_id, name, package_quantity, package_unit,"
            " package_price_cents) VALUES (?, ?, '500', 'g', ?)",
            (user_id, f"item {i}", 100 + i),
        )
    for r in range(10):
        recipe = conn.execute(
            "INSERT INTO recipes (user_id, name, servings) VALUES (?, ?, 4)", (user_id, f"dish {r}")
        ).lastrowid
        conn.executemany(
            "INSERT INTO recipe_items (recipe_id, ingredient_id, position, quantity, unit)"
            " SELECT ?, id, ?, '150', 'g' FROM ingredients WHERE user_id = ? AND name = ?",
            [(recipe, p, user_id, f"item {(r * 4 + p) % 40}") for p in range(4)],
        )


def seed(db_path: Path) -> str:
    """Seed one user with a year of purchases, budgets, ingredients, recipes; return a token."""
    conn = connect(str(db_path))
    upgrade(conn)
    user = {"username": "bench", "email": "bench@example.com", "password": "bench-password"}
    user_id = create_user(conn, user, "pbkdf2:sha256:1000")
    today = dt.date.today()
    rows = purchase_rows(user_id, today)
    months = {(today - dt.timedelta(days=31 * i)).strftime("%Y-%m") for i in range(13)}
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO purchases (user_id, date, amount_cents, store, category, note)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO budgets VALUES (?, ?, ?)", [(user_id, m, 60000) for m in months])
    seed_catalog(conn, user_id)
    conn.execute("COMMIT")
    token = create_token(conn, user_id)
    conn.close()
    print(
        f"seeded {len(rows)} purchases over 365 days, {len(months)} budgets, 40 ingredients,"
        " 10 recipes"
    )
    return token


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(target: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start gunicorn with the app's config file and wait until it answers."""
    port = free_port()
    env = {**env, "PORT": str(port), "BIND_HOST": "127.0.0.1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "app/gunicorn.conf.py", target],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc, port
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gunicorn did not start: {log.read_text()}")


def login_cookie(port: int) -> str:
    """Log in through the form (with its CSRF token) and return the session cookie header.

    The production cookie is Secure, so it is carried by hand over plain local HTTP.
    """
    base = f"http://127.0.0.1:{port}/auth/login"
    page = requests.get(base, timeout=5)
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    form = {
        "username": "bench",
        "password": "bench-password",
        "csrf_token": csrf.group(1) if csrf else "",
    }
    resp = requests.post(
        base, data=form, headers={"Cookie": cookie}, timeout=5, allow_redirects=False
    )
    if resp.status_code != 302:
        raise SystemExit(f"login failed: {resp.status_code}")
    cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    # the first page stores a CSRF token in the session, as a browser would keep it
    first = requests.get(f"http://127.0.0.1:{port}/", headers={"Cookie": cookie}, timeout=5)
    return first.headers.get("Set-Cookie", cookie).split(";", 1)[0]


def load(port: int, path: str, headers: dict[str, str], clients: int) -> tuple[list[float], int]:
    """Run keep-alive clients for SECONDS; return latencies (s) and error count."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS

    def client() -> None:
        """One client: request, wait for the answer, repeat until time is up."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                ok = False
            mine.append(time.perf_counter() - began)
            if not ok:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def figures(latencies: list[float]) -> tuple[float, float, float]:
    """p50 (ms), p99 (ms) and requests/s."""
    cuts = statistics.quantiles(latencies, n=100)
    return cuts[49] * 1000, cuts[98] * 1000, len(latencies) / SECONDS


def measure(name: str, port: int, token: str) -> dict[str, tuple[float, float, float, int]]:
    """Load the paths one server offers."""
    if name == "baseline":
        return {"baseline /": run(port, "/", {})}
    cookie = {"Cookie": login_cookie(port)}
    if name == "app, no page cache":
        return {"dashboard, no page cache": run(port, "/", cookie)}
    month = dt.date.today().strftime("%Y-%m")
    return {
        "dashboard": run(port, "/", cookie),
        "dashboard, 1 client": run(port, "/", cookie, clients=1),
        f"api budgets/{month}": run(
            port, f"/api/v1/budgets/{month}", {"Authorization": f"Bearer {token}"}
        ),
    }


def main() -> None:
    """Seed, serve, load each target, and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 clients, 1 s per target")
    parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="myfoodbudget-bench-") as tmp:
        folder = Path(tmp)
        token = seed(folder / "bench.db")
        (folder / "bench_baseline.py").write_text(BASELINE)
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update(
            APP_ENV="production",
            SECRET_KEY="bench-secret-key-0123456789",
            DATABASE_URL=f"sqlite:///{folder / 'bench.db'}",
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(folder),
            WEB_CONCURRENCY=env.get("WEB_CONCURRENCY", "2"),
        )
        servers: tuple[tuple[str, str, dict[str, str]], ...] = (
            ("baseline", "bench_baseline:app", {}),
            ("app", "app.wsgi:app", {}),
            ("app, no page cache", "app.wsgi:app", {"PAGE_CACHE_SIZE": "0"}),
        )
        results = {}
        for name, target, extra in servers:
            proc, port = start(target, {**env, **extra}, folder / "server.log")
            try:
                results.update(measure(name, port, token))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        report(results)


def run(
    port: int, path: str, headers: dict[str, str], clients: int = CLIENTS
) -> tuple[float, float, float, int]:
    """Warm up, then load one path."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(20):
        conn.request("GET", path, headers=headers)
        conn.getresponse().read()
    conn.close()
    latencies, errors = load(port, path, headers, clients)
    return (*figures(latencies), errors)


def report(results: dict[str, tuple[float, float, float, int]]) -> None:
    """Print each target's figures beside the baseline's, as ratios, then one summary line."""
    b50, b99, brps, _ = results["baseline /"]
    print(
        f"{CLIENTS} clients, {SECONDS:.0f} s per target, gunicorn"
        f" workers={os.environ.get('WEB_CONCURRENCY', '2')}"
        f" threads={os.environ.get('GUNICORN_THREADS', '4')}, {os.cpu_count()} CPUs"
    )
    print(
        f"{'target':<22}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}{'errors':>8}"
        f"{'p50 x':>8}{'p99 x':>8}{'req/s x':>9}"
    )
    for name, (p50, p99, rps, errs) in results.items():
        if name.endswith("1 client"):
            print(
                f"(one client alone, the service time without queueing: p50 {p50:.1f} ms,"
                f" p99 {p99:.1f} ms, {rps:.0f} req/s)"
            )
            continue
        print(
            f"{name:<22}{p50:9.1f}{p99:9.1f}{rps:9.0f}{errs:8d}"
            f"{p50 / b50:8.2f}{p99 / b99:8.2f}{rps / brps:9.2f}"
        )
    dash = results["dashboard"]
    verdict = "meets" if dash[1] < 50 else "misses"
    cold = results["dashboard, no page cache"]
    print(
        f"summary: dashboard p99 {dash[1]:.1f} ms ({verdict} the 50 ms aim; "
        f"{cold[1]:.1f} ms without the page cache), "
        f"{dash[2]:.0f} req/s = {dash[2] / brps:.2f}x the one-line Flask baseline"
    )


if __name__ == "__main__":
    main()
