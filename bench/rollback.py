"""Rollback speed and snapshot cost of the Release controller, measured side by side.

1. On a fresh sandbox with the operator running: the time from setting spec.image to an image
   that crashes at start until the previous version serves again, beside the configured
   readiness.timeoutSeconds (300 s, the Deployment-style wait it does not need to sit out).
2. The snapshot step (`python -m gitops.snapshot`: backup API, integrity_check, sha256, prune)
   beside a plain file copy of the same database, idle and under a concurrent write load.
Ends with one summary line. Run: `.venv/bin/python bench/rollback.py`.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gitops import snapshot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # the e2e helpers drive the operator and app
sys.path.insert(0, str(ROOT / "tests"))  # the cluster the e2e helpers talk to
sys.path.insert(0, str(ROOT))  # the `sandbox` package, not bench/sandbox.py beside this file

from kubecluster import Cluster  # noqa: E402
from release_app import http_get  # noqa: E402
from release_objects import CRASH  # noqa: E402
from release_support import Api, Operator, deploy_good, install_crd  # noqa: E402
from support.sandbox import running_sandbox  # noqa: E402

TIMEOUT_SECONDS = 300
ROLLBACKS = 3

ROWS = 200_000
RUNS = 5


def make_database(path: Path, rows: int = ROWS) -> None:
    """A WAL database of a realistic size (about 20 MB)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, note TEXT)")
    conn.executemany(
        "INSERT INTO item (name, note) VALUES (?, ?)",
        ((f"item {i}", "x" * 80) for i in range(rows)),
    )
    conn.commit()
    conn.close()


def write_forever(path: str, stop: multiprocessing.synchronize.Event) -> None:
    """Commit one row per transaction until told to stop (the concurrent write load)."""
    conn = sqlite3.connect(path, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    while not stop.is_set():
        conn.execute("INSERT INTO item (name, note) VALUES ('load', 'y')")
        conn.commit()
    conn.close()


def median_seconds(action: Callable[[], None], runs: int = RUNS) -> float:
    """Median wall time of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(work: Path) -> dict[str, float]:
    """Seconds for the snapshot step and a file copy, idle and under load."""
    database, out = work / "app.db", work / "snapshots"
    make_database(database)
    args = [
        "--database", str(database), "--directory", str(out), "--release", "bench",
        "--image", "ghcr.io/o/app:1", "--keep", "2",
        "--termination-log", str(work / "termination-log"),
    ]  # fmt: skip

    def take() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            code = snapshot.main(args)
        if code != 0:
            raise SystemExit(f"snapshot failed: {(work / 'termination-log').read_text()}")

    def copy() -> None:
        shutil.copyfile(database, work / "copy.db")

    result = {"snapshot_idle": median_seconds(take), "copy_idle": median_seconds(copy)}
    stop = multiprocessing.Event()
    writer = multiprocessing.Process(target=write_forever, args=(str(database), stop))
    writer.start()
    try:
        time.sleep(0.3)  # let the writer reach a steady rate before timing
        result["snapshot_load"] = median_seconds(take)
        result["copy_load"] = median_seconds(copy)
    finally:
        stop.set()
        writer.join(10)
    return result


def time_rollback(api: Api, url: str, bad: str) -> float:
    """Seconds from spec.image = bad to the previous version answering /version again."""
    started = time.monotonic()
    api.patch_release("bench", {"spec": {"image": bad}})
    while True:
        status = api.status("bench")
        if status.get("phase") == "RolledBack" and status.get("failedImage") == bad:
            with contextlib.suppress(OSError):
                if http_get(f"{url}/version")[0] == 200:
                    return time.monotonic() - started
        if time.monotonic() - started > TIMEOUT_SECONDS:
            raise SystemExit(f"no rollback of {bad} within {TIMEOUT_SECONDS}s")
        time.sleep(0.05)


def measure_rollbacks(work: Path) -> list[float]:
    """Roll back ROLLBACKS crashing releases on a fresh sandbox; their times in seconds."""
    with running_sandbox(work / "sandbox", images=ROOT / "tests" / "images.yaml") as sandbox:
        api = Api(Cluster(sandbox.kubeconfig, True, work / "cache"), "bench")
        install_crd(api)
        operator = Operator(sandbox.kubeconfig, "bench", work / "operator.log")
        operator.start()
        try:
            readiness = {"timeoutSeconds": TIMEOUT_SECONDS, "maxRestarts": 2}
            url = deploy_good(api, "bench", readiness=readiness)
            base = CRASH.rsplit(":", 1)[0]
            return [time_rollback(api, url, f"{base}:bench-{n}") for n in range(ROLLBACKS)]
        finally:
            operator.stop()


def report(rollbacks: list[float], result: dict[str, float]) -> None:
    """Print the side-by-side numbers and the one summary line."""
    median = statistics.median(rollbacks)
    print(
        f"rollback of a release that crashes at start: "
        f"{', '.join(f'{t:.1f}s' for t in rollbacks)} (median {median:.1f}s) with "
        f"readiness.timeoutSeconds {TIMEOUT_SECONDS}s = {median / TIMEOUT_SECONDS:.1%} of it"
    )
    idle = result["snapshot_idle"] / result["copy_idle"]
    load = result["snapshot_load"] / result["copy_load"]
    print(
        f"snapshot step (backup API + integrity_check + sha256 + prune) vs plain file copy "
        f"({ROWS} rows): idle {result['snapshot_idle']:.3f}s vs {result['copy_idle']:.3f}s "
        f"= {idle:.1f}x; under writes {result['snapshot_load']:.3f}s vs "
        f"{result['copy_load']:.3f}s = {load:.1f}x"
    )
    print(
        f"SUMMARY rollback {median:.1f}s vs timeout {TIMEOUT_SECONDS}s "
        f"({TIMEOUT_SECONDS / median:.0f}x sooner); snapshot/copy {idle:.1f}x idle, "
        f"{load:.1f}x under writes"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        rollbacks = measure_rollbacks(Path(folder))
        (Path(folder) / "snapshot").mkdir()
        report(rollbacks, measure(Path(folder) / "snapshot"))
