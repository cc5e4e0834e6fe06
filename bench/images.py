"""The images' footprint beside their budgets: size above the base, idle memory, warm build.

1. Size of myfoodbudget/app:dev and myfoodbudget/operator:dev above their base image (the one
   named by their org.opencontainers.image.base.name label). Budgets: 60 MB and 200 MB.
2. Idle memory inside the container (`docker stats`): the app with 2 gunicorn workers once
   /readyz answers (budget 120 MiB); the operator, idle against a fresh sandbox with the CRDs
   installed, once /healthz answers (budget 80 MiB). Median of 5 samples a second apart.
3. `scripts/images.sh` with nothing changed (what a second `make images` does): under 10 s.

    python bench/images.py            # needs the engine and the images: make images
    python bench/images.py --quick    # one sample each (make test runs this)

Numbers are printed, never asserted; the last line sums them up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP, OPERATOR = "myfoodbudget/app:dev", "myfoodbudget/operator:dev"
LABEL = "dev.myfoodbudget.bench"
BUDGETS = {"app size": 60.0, "operator size": 200.0, "app idle": 120.0,
           "operator idle": 80.0, "warm build": 10.0}  # fmt: skip
UNITS = {"app size": "MB", "operator size": "MB", "app idle": "MiB", "operator idle": "MiB",
         "warm build": "s"}  # fmt: skip


def engine_env() -> dict[str, str]:
    """The environment pointing docker at the engine (scripts/engine.sh env)."""
    env = dict(os.environ)
    if not env.get("DOCKER_HOST"):
        shown = subprocess.run(["bash", str(ROOT / "scripts" / "engine.sh"), "env"],
                               capture_output=True, text=True, check=True)  # fmt: skip
        for line in shown.stdout.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
    return env


ENV = engine_env()
DOCKER = ENV.get("MYFOODBUDGET_DOCKER", "docker")


def docker(*args: str, timeout: float = 120) -> str:
    """Run docker; its output, or exit with its error."""
    done = subprocess.run([DOCKER, *args], env=ENV, capture_output=True, text=True,
                          check=False, timeout=timeout)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"bench/images.py: docker {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def size_above_base(image: str) -> float:
    """MB the image adds to its base."""
    info = json.loads(docker("image", "inspect", image))[0]
    base = info["Config"]["Labels"]["org.opencontainers.image.base.name"]
    below = json.loads(docker("image", "inspect", base))[0]["Size"]
    return (info["Size"] - below) / 1e6


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, cid: str | None = None, timeout: float = 60) -> None:
    """Until url answers 200 (or exit when the container stopped or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        if cid and docker("inspect", "--format", "{{.State.Running}}", cid) != "true":
            logs = subprocess.run([DOCKER, "logs", cid], env=ENV, capture_output=True, text=True)
            sys.exit(f"bench/images.py: the container stopped:\n{logs.stdout}{logs.stderr}")
        time.sleep(0.2)
    sys.exit(f"bench/images.py: {url} did not answer 200 within {timeout:.0f}s")


@contextlib.contextmanager
def container(image: str, *args: str) -> Iterator[str]:
    """A labelled container on the host network, removed by id afterwards."""
    cid = docker("run", "--detach", "--label", f"{LABEL}=1", "--network", "host", "--read-only",
                 "--tmpfs", "/tmp", *args, image)  # noqa: S108  # fmt: skip
    try:
        yield cid
    finally:
        docker("rm", "--force", "--volumes", cid)


def idle_memory(cid: str, samples: int) -> float:
    """Median MiB the container uses, sampled a second apart."""
    values = []
    for i in range(samples):
        if i:
            time.sleep(1)
        used = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", cid).split("/")[0]
        number, unit = float(used.strip()[:-3]), used.strip()[-3:]
        values.append(number * {"KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0}[unit])
    return statistics.median(values)


def app_idle(samples: int) -> float:
    """Idle memory of the app with 2 workers, once ready."""
    port = free_port()
    args = ("--env", "SECRET_KEY=bench-only-secret-key-0123456789", "--env", f"PORT={port}",
            "--env", "BIND_HOST=127.0.0.1", "--env", "WEB_CONCURRENCY=2",
            "--tmpfs", "/data:uid=10001,gid=10001")  # fmt: skip
    with container(APP, *args) as cid:
        wait_http(f"http://127.0.0.1:{port}/readyz", cid)
        return idle_memory(cid, samples)


@contextlib.contextmanager
def sandbox(folder: Path) -> Iterator[Path]:
    """A sandbox API server on 127.0.0.1 with the CRDs installed; its kubeconfig."""
    kubeconfig, port = folder / "kubeconfig", free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "sandbox", "up", "--kubeconfig", str(kubeconfig),
               "--port", str(port), "--data", str(folder / "data")]  # fmt: skip
    with (folder / "sandbox.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        kubectl = [str(Path(sys.executable).parent / "kubectl"), "--kubeconfig", str(kubeconfig)]
        deadline = time.monotonic() + 60
        while not kubeconfig.exists() or subprocess.run(
            [*kubectl, "apply", "-f", str(ROOT / "manifests" / "crds")],
            capture_output=True, check=False,
        ).returncode:  # fmt: skip
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"bench/images.py: the sandbox did not start: {folder / 'sandbox.log'}")
            time.sleep(0.2)
        yield kubeconfig
    finally:
        process.terminate()
        process.wait(timeout=30)


def operator_idle(samples: int) -> float:
    """Idle memory of the operator watching an empty sandbox namespace."""
    with tempfile.TemporaryDirectory(prefix="bench-images-") as tmp, sandbox(Path(tmp)) as config:
        config.chmod(0o644)
        Path(tmp).chmod(0o755)
        port = free_port()
        args = ("--volume", f"{config}:/kube/config:ro", "--env", "KUBECONFIG=/kube/config",
                "--env", f"METRICS_PORT={port}", "--env", "METRICS_HOST=127.0.0.1",
                "--env", "WATCH_NAMESPACE=default",
                "--env", f"OPERATOR_IMAGE={OPERATOR}")  # fmt: skip
        with container(OPERATOR, *args) as cid:
            wait_http(f"http://127.0.0.1:{port}/healthz", cid)
            return idle_memory(cid, samples)


def warm_build() -> float:
    """Seconds scripts/images.sh takes when nothing changed (it runs once before, untimed)."""
    script = ["bash", str(ROOT / "scripts" / "images.sh")]
    subprocess.run(script, env=ENV, capture_output=True, check=True)
    start = time.monotonic()
    subprocess.run(script, env=ENV, capture_output=True, check=True)
    return time.monotonic() - start


def main() -> int:
    """Measure, print a table and one summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one sample each")
    samples = 1 if parser.parse_args().quick else 5
    measured = {
        "app size": size_above_base(APP),
        "operator size": size_above_base(OPERATOR),
        "app idle": app_idle(samples),
        "operator idle": operator_idle(samples),
        "warm build": warm_build(),
    }
    over = []
    for name, value in measured.items():
        unit, budget = UNITS[name], BUDGETS[name]
        verdict = "ok" if value <= budget else "OVER"
        over += [name] if verdict == "OVER" else []
        print(f"{name:<14} {value:7.1f} {unit:<3}  budget {budget:5.0f} {unit:<3}  {verdict}")
    summary = ", ".join(f"{n} {v:.1f} {UNITS[n]}" for n, v in measured.items())
    verdict = f"over budget: {', '.join(over)}" if over else "all within budget"
    print(f"bench/images.py: {summary}: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
