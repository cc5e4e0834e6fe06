"""A small driver for the docker CLI: labelled containers and volumes, removed by id."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from polling import wait_for

LABEL = "dev.myfoodbudget.test"
READY_TIMEOUT = 60
SECRET_KEY = "images-test-secret-key-0123456789abcdef"


@dataclass
class Engine:
    """The docker CLI bound to one engine; remembers what it made for this session."""

    docker: str
    env: dict[str, str]
    session: str
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run one docker command; its output is kept, its status is the caller's to check."""
        return subprocess.run(
            [self.docker, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )

    def ok(self, *args: str, timeout: float = 120) -> str:
        """Run one docker command that must succeed; its standard output."""
        done = self.run(*args, timeout=timeout)
        assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr.strip()}"
        return done.stdout.strip()

    def problem(self) -> str | None:
        """Why no engine answers, or None."""
        try:
            done = self.run("version", "--format", "{{.Server.Version}}", timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"cannot run {self.docker}: {error}"
        if done.returncode != 0:
            return (done.stderr.strip().splitlines() or ["docker version failed"])[-1]
        return None

    def has_image(self, image: str) -> bool:
        """True when the engine holds the image."""
        return self.run("image", "inspect", image).returncode == 0

    def volume(self) -> str:
        """A new named volume with this session's label."""
        name = self.ok("volume", "create", "--label", f"{LABEL}={self.session}")
        self.volumes.append(name)
        return name

    def start(self, image: str, *args: str, command: tuple[str, ...] = ()) -> str:
        """Start a detached container on the host network (or the one args name); its id."""
        network = () if any(a.startswith("--network") for a in args) else ("--network", "host")
        label = ("--label", f"{LABEL}={self.session}")
        cid = self.ok("run", "--detach", *label, *network, *args, image, *command)
        self.containers.append(cid)
        return cid

    def once(self, image: str, *args: str, command: tuple[str, ...] = (), timeout: float = 120):
        """Run a container to its end; (exit status, its output); the container is removed."""
        cid = self.start(image, *args, command=command)
        status = int(self.ok("wait", cid, timeout=timeout))
        logs = self.run("logs", cid)
        self.remove(cid)
        return status, logs.stdout + logs.stderr

    def start_stop(self, cid: str, seconds: int) -> subprocess.Popen[str]:
        """`docker stop --time seconds`, in the background; wait() on what it returns."""
        return subprocess.Popen(
            [self.docker, "stop", "--time", str(seconds), cid],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def inspect(self, cid: str) -> dict[str, Any]:
        """docker inspect of one container."""
        found: list[dict[str, Any]] = json.loads(self.ok("inspect", cid))
        return found[0]

    def state(self, cid: str) -> dict[str, Any]:
        """The container's State (Running, ExitCode, Health, ...)."""
        state: dict[str, Any] = self.inspect(cid)["State"]
        return state

    def logs(self, cid: str) -> str:
        """Everything the container printed so far."""
        done = self.run("logs", cid)
        return done.stdout + done.stderr

    def remove(self, cid: str) -> None:
        """Remove one container (and its anonymous volumes) by id."""
        self.run("rm", "--force", "--volumes", cid)
        if cid in self.containers:
            self.containers.remove(cid)

    def remove_everything(self) -> None:
        """Remove what this session made, by id and name."""
        for cid in list(self.containers):
            self.remove(cid)
        for name in self.volumes:
            self.run("volume", "rm", "--force", name)
        self.volumes.clear()


def get(url: str, timeout: float = 3) -> tuple[int, bytes]:
    """(status, body) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()
    except OSError:
        return 0, b""


def app_args(port: int, volume: str, *extra: str) -> tuple[str, ...]:
    """docker run arguments of the app as docs/homelab.md runs it, on 127.0.0.1:port."""
    return (
        "--read-only",
        "--tmpfs", "/tmp",
        "--volume", f"{volume}:/data",
        "--env", f"SECRET_KEY={SECRET_KEY}",
        "--env", f"PORT={port}",
        "--env", "BIND_HOST=127.0.0.1",
        *extra,
    )  # fmt: skip


def start_app(engine: Engine, image: str, port: int, volume: str, *extra: str) -> str:
    """The app container, once /readyz answers 200; fails with its logs if it stops first."""
    cid = engine.start(image, *app_args(port, volume, *extra))

    def ready() -> bool:
        if not engine.state(cid)["Running"]:
            raise AssertionError(f"the app stopped while starting:\n{engine.logs(cid)}")
        return get(f"http://127.0.0.1:{port}/readyz")[0] == 200

    wait_for(ready, timeout=READY_TIMEOUT, what="/readyz answering 200", interval=0.2)
    return cid
