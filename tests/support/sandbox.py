"""Run `python -m sandbox up` as a subprocess for tests and benchmarks."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT = 20.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tls_context(kubeconfig: Path) -> ssl.SSLContext:
    """TLS as the kubeconfig's user: trust its CA, present its client certificate (the files
    go next to the kubeconfig)."""
    import yaml

    config = yaml.safe_load(kubeconfig.read_text())
    cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
    context = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificate-authority-data"]).decode()
    )
    if "client-certificate-data" in user:
        cert, key = kubeconfig.with_suffix(".crt"), kubeconfig.with_suffix(".key")
        for path, field in ((cert, "client-certificate-data"), (key, "client-key-data")):
            path.touch(mode=0o600)
            path.write_bytes(base64.b64decode(user[field]))
        context.load_cert_chain(cert, key)
    return context


def urlopen(url: str, context: ssl.SSLContext, body: Any = None, method: str | None = None) -> Any:
    """One HTTPS request to the sandbox (JSON body if given); the urllib response."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    return urllib.request.urlopen(request, timeout=10, context=context)


def _post(url: str, context: ssl.SSLContext, body: Any) -> Any:
    if not url.startswith("https://127.0.0.1:"):
        raise ValueError(f"not a sandbox URL: {url}")
    with urlopen(url, context, body) as response:
        return json.loads(response.read())


@dataclass
class Sandbox:
    """A running sandbox: its kubeconfig, URL, data folder and process."""

    kubeconfig: Path
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    ssl: ssl.SSLContext  # TLS as the admin of the kubeconfig

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Replace the fault settings (rate, codes, latency_ms, drop_watch_after, methods)."""
        return dict(_post(f"{self.url}/sandbox/faults", self.ssl, settings))

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.set_faults()

    def compact(self) -> int:
        """Forget the watch history; resourceVersions up to now answer 410."""
        return int(_post(f"{self.url}/sandbox/compact", self.ssl, {})["compactedTo"])


def _wait_until_up(
    process: subprocess.Popen[bytes], url: str, kubeconfig: Path, log: Path
) -> ssl.SSLContext:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {process.returncode}:\n{log.read_text()}")
        if kubeconfig.exists():  # written only once the server answers
            context = tls_context(kubeconfig)
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urlopen(f"{url}/version", context) as response,
            ):
                if response.status == 200:
                    return context
        time.sleep(0.05)
    raise TimeoutError(f"the sandbox did not answer within {START_TIMEOUT}s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, wait, then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_sandbox(
    workdir: Path, images: Path | None = None, extra_args: list[str] | None = None
) -> Iterator[Sandbox]:
    """Start a sandbox on a free port with its data under `workdir`; stop it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    kubeconfig, data, log = workdir / "kubeconfig", workdir / "data", workdir / "sandbox.log"
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "up", "--kubeconfig", str(kubeconfig),
               "--port", str(port), "--data", str(data), *(extra_args or [])]  # fmt: skip
    if images is not None:
        command += ["--images", str(images)]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p
    )}  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    url = f"https://127.0.0.1:{port}"
    try:
        context = _wait_until_up(process, url, kubeconfig, log)
        yield Sandbox(kubeconfig, url, data, process, log, context)
    finally:
        stop(process)
