"""Downtime of a failing migration with and without the preflight, rollback speed and
snapshot cost of the Release controller, measured side by side.

1. On a fresh sandbox with the operator running, two Releases of the app (strategy Recreate)
   get an image whose migration fails half-way, one with the preflight (the default), one
   with it turned off; a client polls each throughout. Printed: the serving version's
   downtime and failed requests with the preflight (the goal: 0 s, 0 failed requests) next to
   them without it (stopped for the snapshot, the bad migration run on the live database, a
   rollback and a restore).
2. The time from setting spec.image to an image that crashes at start until the previous
   version serves again, beside the configured readiness.timeoutSeconds (300 s, the
   Deployment-style wait it does not need to sit out): on the process runtime and, when the
   project's engine is reachable, on real containers (`--runtime docker`, the images of
   `make images`; the goal there: under 15 s).
3. The snapshot step (`python -m gitops.snapshot`: backup API, integrity_check, sha256, prune)
   beside a plain file copy of the same database, idle and under a concurrent write load.
Ends with one summary line. Run: `.venv/bin/python bench/rollback.py`; `--quick` measures 1
and one rollback on each runtime, and exits 1 when the preflight let a request fail or the
rollback on real containers took 15 s or more (`make test` runs it so).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from gitops import snapshot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))  # the e2e helpers drive the operator and app
sys.path.insert(0, str(ROOT / "tests"))  # the cluster the e2e helpers talk to
sys.path.insert(0, str(ROOT))  # the `sandbox` package, not bench/sandbox.py beside this file

from kubecluster import Cluster  # noqa: E402
from release_app import Poller, http_get  # noqa: E402
from release_objects import CRASH, MIGRATION_FAILS  # noqa: E402
from release_support import Api, Operator, deploy_good, install_crd  # noqa: E402
from support.engine import engine_environment  # noqa: E402
from support.sandbox import running_sandbox  # noqa: E402

TIMEOUT_SECONDS = 300
ROLLBACKS = 3
DOCKER_GOAL = 15.0  # seconds from a crashing release to the previous version serving

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


def measure_rollbacks(work: Path, runtime: str = "process", count: int = ROLLBACKS) -> list[float]:
    """Roll back `count` crashing releases on a fresh sandbox; their times in seconds."""
    base = CRASH.rsplit(":", 1)[0]
    bad = [f"{base}:bench-{n}" for n in range(count)]  # a new image each time, never retried
    with crash_tags(runtime, bad), operator_on_a_sandbox(work, runtime) as api:
        readiness = {"timeoutSeconds": TIMEOUT_SECONDS, "maxRestarts": 2, "bakeSeconds": 1}
        url = deploy_good(api, "bench", readiness=readiness, preflight={"enabled": False})
        return [time_rollback(api, url, image) for image in bad]


@contextlib.contextmanager
def crash_tags(runtime: str, tags: list[str]) -> Iterator[None]:
    """On docker, the crashing image under each of `tags` for the run (the engine pulls none)."""
    if runtime != "docker":
        yield
        return
    env = engine_environment()
    for tag in tags:
        subprocess.run(["docker", "tag", CRASH, tag], env=env, check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["docker", "rmi", *tags], env=env, check=False, capture_output=True)


def engine_reachable() -> bool:
    """True when the project's engine answers and holds the crashing image."""
    try:
        found = subprocess.run(
            ["docker", "image", "inspect", CRASH],
            env=engine_environment(),
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return found.returncode == 0


@contextlib.contextmanager
def operator_on_a_sandbox(work: Path, runtime: str = "process") -> Iterator[Api]:
    """A fresh sandbox (on `runtime`) with the operator watching the namespace `bench`."""
    images = ROOT / "tests" / "images.yaml"
    with contextlib.ExitStack() as stack:
        if runtime == "docker":
            host = engine_environment()["DOCKER_HOST"]
            stack.enter_context(_environ("DOCKER_HOST", host))
        args = ["--runtime", runtime]
        sandbox = stack.enter_context(running_sandbox(work / "sandbox", images, args))
        cluster = Cluster(sandbox.kubeconfig, True, work / "cache", runtime)
        api = Api(cluster, "bench")
        install_crd(api)
        # On docker the operator reaches pods through the API server's pods/proxy, its default.
        env = cluster.operator_env() if runtime == "process" else {}
        operator = Operator(sandbox.kubeconfig, "bench", work / "operator.log", env)
        operator.start()
        try:
            yield api
        finally:
            operator.stop()


@contextlib.contextmanager
def _environ(key: str, value: str) -> Iterator[None]:
    """os.environ[key] = value for the block (the sandbox's kubelet reads DOCKER_HOST)."""
    old = os.environ.get(key)
    os.environ[key] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


def serve_a_failing_migration(api: Api, name: str, preflight: bool) -> dict[str, float | str]:
    """Release MIGRATION_FAILS over the app while a client polls it; what the client saw."""
    url = deploy_good(api, name, preflight={"enabled": preflight})
    with Poller(f"{url}/version") as client:
        started = time.monotonic()
        api.patch_release(name, {"spec": {"image": MIGRATION_FAILS}})
        ended = api.wait_phase(name, "Failed" if preflight else "RolledBack", timeout=180)
        took = time.monotonic() - started
        while http_get(f"{url}/version")[0] != 200:  # serving again before the client stops
            time.sleep(0.05)
        time.sleep(0.5)
    return {
        "downtime": client.downtime(),
        "failed": client.failed(),
        "requests": len(client.samples),
        "seconds": took,
        "reason": str(ended.get("reason")),
    }


def measure_migrations(work: Path) -> dict[str, dict[str, float | str]]:
    """The failing migration with and without the preflight, on one sandbox."""
    with operator_on_a_sandbox(work) as api:
        return {
            "with": serve_a_failing_migration(api, "with-preflight", True),
            "without": serve_a_failing_migration(api, "without-preflight", False),
        }


def report_migrations(found: dict[str, dict[str, float | str]]) -> None:
    """Print the downtime with the preflight next to the downtime without it."""
    on, off = found["with"], found["without"]
    print(
        f"failing migration, serving version's downtime: with the preflight {on['downtime']:.1f}s, "
        f"{on['failed']} of {on['requests']} requests failed (ended {on['reason']} in "
        f"{on['seconds']:.1f}s); without it {off['downtime']:.1f}s, {off['failed']} of "
        f"{off['requests']} requests failed (ended {off['reason']} in {off['seconds']:.1f}s)"
    )


def report_rollbacks(rollbacks: dict[str, list[float]]) -> float:
    """Print each runtime's crash-at-start rollback times beside the timeout; the median."""
    for runtime, times in rollbacks.items():
        median = statistics.median(times)
        print(
            f"rollback of a release that crashes at start, {runtime} runtime: "
            f"{', '.join(f'{t:.1f}s' for t in times)} (median {median:.1f}s) with "
            f"readiness.timeoutSeconds {TIMEOUT_SECONDS}s = {median / TIMEOUT_SECONDS:.1%} of it"
        )
    if "docker" in rollbacks:
        docker, process = (statistics.median(rollbacks[k]) for k in ("docker", "process"))
        print(
            f"real containers vs processes: {docker:.1f}s vs {process:.1f}s = "
            f"{docker / process:.1f}x (goal on real containers: under {DOCKER_GOAL:g}s)"
        )
    else:
        print("real containers: not measured (no engine with the crashing image; make images)")
    return statistics.median(rollbacks["process"])


def measure_all_rollbacks(work: Path, count: int) -> dict[str, list[float]]:
    """The rollback times on the process runtime and, when an engine is there, on docker."""
    found = {"process": measure_rollbacks(work / "process", "process", count)}
    if engine_reachable():
        found["docker"] = measure_rollbacks(work / "docker", "docker", count)
    return found


def report(
    migrations: dict[str, dict[str, float | str]],
    rollbacks: dict[str, list[float]],
    result: dict[str, float],
) -> None:
    """Print the side-by-side numbers and the one summary line."""
    report_migrations(migrations)
    median = report_rollbacks(rollbacks)
    idle = result["snapshot_idle"] / result["copy_idle"]
    load = result["snapshot_load"] / result["copy_load"]
    print(
        f"snapshot step (backup API + integrity_check + sha256 + prune) vs plain file copy "
        f"({ROWS} rows): idle {result['snapshot_idle']:.3f}s vs {result['copy_idle']:.3f}s "
        f"= {idle:.1f}x; under writes {result['snapshot_load']:.3f}s vs "
        f"{result['copy_load']:.3f}s = {load:.1f}x"
    )
    on, off = migrations["with"], migrations["without"]
    docker = rollbacks.get("docker")
    real = f", {statistics.median(docker):.1f}s on real containers" if docker else ""
    print(
        f"SUMMARY failing migration down {on['downtime']:.1f}s with the preflight vs "
        f"{off['downtime']:.1f}s without; rollback {median:.1f}s vs timeout {TIMEOUT_SECONDS}s "
        f"({TIMEOUT_SECONDS / median:.0f}x sooner){real}; snapshot/copy {idle:.1f}x idle, "
        f"{load:.1f}x under writes"
    )


def judge(migrations: dict[str, dict[str, float | str]], rollbacks: dict[str, list[float]]) -> int:
    """1 when the preflight let a request fail or real containers missed the rollback goal."""
    on = migrations["with"]
    if on["failed"] or on["reason"] != "PreflightFailed":
        print("the preflight let the serving version fail requests", file=sys.stderr)
        return 1
    docker = rollbacks.get("docker")
    if docker and statistics.median(docker) >= DOCKER_GOAL:
        print(f"the rollback on real containers took {DOCKER_GOAL:g}s or more", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; --quick: the failing migration only, judged against its goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the failing migration only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        migrations = measure_migrations(work / "migration")
        if args.quick:
            report_migrations(migrations)
            rollbacks = measure_all_rollbacks(work / "rollback", 1)
            report_rollbacks(rollbacks)
            return judge(migrations, rollbacks)
        rollbacks = measure_all_rollbacks(work / "rollback", ROLLBACKS)
        (work / "snapshot").mkdir()
        report(migrations, rollbacks, measure(work / "snapshot"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
