"""gunicorn settings from the environment: PORT, BIND_HOST, WEB_CONCURRENCY, GUNICORN_THREADS."""

import os
import shutil
import signal
import tempfile
from typing import Any

_port = os.environ.get("PORT", "8000")
_host = os.environ.get("BIND_HOST", "0.0.0.0")  # noqa: S104  (a container listens on all)
bind = [f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# load the app once in the master: a bad configuration or a too-new schema stops the start
# before any worker forks, and workers boot instantly (no window where SIGTERM is lost)
preload_app = True
timeout = 30
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "20"))
keepalive = 5
accesslog = None
control_socket_disable = True  # several servers may run side by side (tests, benchmarks)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# metrics are shared by all workers through files in one directory, made when the server starts
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(tempfile.gettempdir(), f"myfoodbudget-metrics-{os.getpid()}"),
)


def on_starting(_server: object) -> None:
    """Start with an empty metrics directory."""
    os.makedirs(_metrics_dir, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        os.remove(os.path.join(_metrics_dir, name))


def post_fork(_server: object, _worker: object) -> None:
    """A booting worker dies at once on SIGTERM.

    A forked worker inherits the master's SIGTERM handler, which only queues the signal for the
    master's loop, until it installs its own; a SIGTERM in that window was lost and shutdown
    waited the whole graceful timeout. Nothing is served yet, so the default action is graceful.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def child_exit(_server: object, worker: Any) -> None:
    """Drop a dead worker's live metrics."""
    from prometheus_client import multiprocess

    # prometheus_client's multiprocess helpers carry no annotations
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(_server: object) -> None:
    """Remove the metrics directory this server made."""
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
