"""The snapshot step beside a plain file copy of the same SQLite database, idle and under writes.

Imported by bench/rollback.py; runnable alone: `python bench/rollback_snapshot.py`.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gitops import snapshot

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


def report(result: dict[str, float]) -> tuple[float, float]:
    """Print the side-by-side numbers; return the idle and loaded ratios."""
    idle = result["snapshot_idle"] / result["copy_idle"]
    load = result["snapshot_load"] / result["copy_load"]
    print(
        f"snapshot step (backup API + integrity_check + sha256 + prune) vs plain file copy "
        f"({ROWS} rows): idle {result['snapshot_idle']:.3f}s vs {result['copy_idle']:.3f}s "
        f"= {idle:.1f}x; under writes {result['snapshot_load']:.3f}s vs "
        f"{result['copy_load']:.3f}s = {load:.1f}x"
    )
    return idle, load


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        report(measure(Path(folder)))
