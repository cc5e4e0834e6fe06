"""Canary secrets, and the collector that searches everything the suite produces for them.

Every Secret value the project reads in a test (the git token, the notification webhook's
token and SMTP password, restic's password, the app's SECRET_KEY) comes from CANARIES. The
collector gathers what a user or an operator of the system could see: every test's captured
output, logs and failure text (pytest's reports), the operator's log files, the Jobs' output,
the sandbox's log and its pods' logs, and every version of the Events, Releases, GitSyncs,
Jobs and Pods the cluster held (watched for the whole session, so nothing is missed when a
namespace goes). At the end of the session `finish()` searches it all, records the `canary`
figures and names any leak.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.reliability import record

_RUN = uuid.uuid4().hex[:12]
CANARIES = {
    "git-token": f"canary-git-token-{_RUN}",
    "notify-token": f"canary-notify-{_RUN}",
    "notify-password": f"canary-smtp-password-{_RUN}",
    "restic-password": f"canary-restic-{_RUN}",
    "secret-key": f"canary-secret-key-{_RUN}",
}
FRAGMENT = 16  # a piece this long of a canary counts as a leak too


def pieces(value: str) -> set[str]:
    """What of a value counts as a leak: itself, its base64, its distinctive end."""
    return {value, base64.b64encode(value.encode()).decode().rstrip("="), value[-FRAGMENT:]}


def leaks(text: str, canaries: dict[str, str] | None = None) -> list[str]:
    """Names of the canaries (of CANARIES unless given) that show in text."""
    found = canaries or CANARIES
    return sorted(name for name, value in found.items() if any(p in text for p in pieces(value)))


def redacted(line: str) -> str:
    """The line with every canary piece blanked, to say where a leak is without repeating it."""
    for value in CANARIES.values():
        for piece in sorted(pieces(value), key=len, reverse=True):
            line = line.replace(piece, "[canary]")
    return line


@dataclass
class Collector:
    """Texts and files to search at the end of the session, by source."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, Path]] = field(default_factory=list)
    folders: list[tuple[str, Path, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_text(self, source: str, text: str) -> None:
        """Something a test saw or printed."""
        if text:
            with self.lock:
                self.texts.append((source, text))

    def add_file(self, source: str, path: Path) -> None:
        """A log file, read at the end (it may still grow)."""
        with self.lock:
            if all(Path(path) != known for _, known in self.files):
                self.files.append((source, Path(path)))

    def add_folder(self, source: str, folder: Path, pattern: str) -> None:
        """Every file under folder matching pattern, read at the end."""
        with self.lock:
            self.folders.append((source, Path(folder), pattern))

    def everything(self) -> Iterator[tuple[str, str]]:
        """(source, text) of all that was collected."""
        yield from self.texts
        paths = list(self.files)
        for source, folder, pattern in self.folders:
            paths += [(source, path) for path in sorted(folder.glob(pattern))]
        for source, path in paths:
            if path.is_file():
                yield source, path.read_text(encoding="utf-8", errors="replace")

    def search(self, canaries: dict[str, str] | None = None) -> Search:
        """Every line of every source searched for the canaries."""
        result = Search()
        for source, text in self.everything():
            result.sources.add(source)
            for line in text.splitlines():
                result.lines += 1
                for name in leaks(line, canaries):
                    result.found.append(f"{source}: {name} in {redacted(line)[:200]!r}")
        return result


@dataclass
class Search:
    """What a search covered and found."""

    sources: set[str] = field(default_factory=set)
    lines: int = 0
    found: list[str] = field(default_factory=list)


COLLECTOR = Collector()


def finish(report: Callable[[str], None], collector: Collector = COLLECTOR) -> bool:
    """Search, record the figures, report any leak; True when none was found."""
    result = collector.search()
    record("canary", sources=len(result.sources), lines=result.lines, leaked=len(result.found))
    for leak in result.found[:50]:
        report(f"canary leaked: {leak}")
    if result.found:
        report(f"canary: {len(result.found)} lines show a Secret's value; the run fails")
    return not result.found


def dumped(kind: str, obj: Any) -> str:
    """One watched object as a line of JSON (the client's objects turned to plain dicts)."""
    from kubernetes import client

    plain = obj if isinstance(obj, dict) else client.ApiClient().sanitize_for_serialization(obj)
    return json.dumps({"kind": kind, "object": plain}, default=str)


def _listers(api: Any) -> dict[str, Callable[..., Any]]:
    """The list calls watched, by what they list."""
    from kubernetes import client

    core, batch = client.CoreV1Api(api), client.BatchV1Api(api)
    custom = client.CustomObjectsApi(api)

    def of(plural: str) -> Callable[..., Any]:
        def lister(**kwargs: Any) -> Any:
            return custom.list_cluster_custom_object(
                "gitops.myfoodbudget.dev", "v1alpha1", plural, **kwargs
            )

        return lister

    return {
        "events": core.list_event_for_all_namespaces,
        "pods": core.list_pod_for_all_namespaces,
        "jobs": batch.list_job_for_all_namespaces,
        "releases": of("releases"),
        "gitsyncs": of("gitsyncs"),
    }


def pod_logs(core: Any, pod: Any, seen: set[tuple[str, ...]]) -> list[str]:
    """The logs of a pod's containers that ended, or of all of them when the pod is going
    (the kubelet drops a pod's folder once it is deleted, so they are read while they exist),
    each once (seen holds what was read)."""
    going = pod.metadata.deletion_timestamp is not None
    texts = []
    for status in pod.status.container_statuses or [] if pod.status else []:
        ended = status.state is not None and status.state.terminated is not None
        key = (pod.metadata.uid, status.name, str(status.restart_count), str(going))
        if (going or ended) and key not in seen:
            seen.add(key)
            meta = pod.metadata
            with contextlib.suppress(Exception):  # gone already: nothing left to read
                texts.append(
                    core.read_namespaced_pod_log(meta.name, meta.namespace, container=status.name)
                )
    return texts


def _watch(
    kind: str, lister: Callable[..., Any], sink: Path, stop: threading.Event, core: Any
) -> None:
    """Write every version of every object of a kind to sink until stop (re-listing on errors);
    for pods, the logs of containers as they end."""
    from kubernetes import watch

    seen: set[tuple[str, ...]] = set()
    version: str | None = None  # resumed from, so that a re-watch does not list all again
    with sink.open("a", encoding="utf-8") as out:
        while not stop.is_set():
            try:
                # Watch() reads the environment, which pytest changes from its own thread
                # (PYTEST_CURRENT_TEST): a KeyError there is retried like a dropped stream.
                watcher = watch.Watch()
                extra = {"resource_version": version} if version else {}
                for change in watcher.stream(lister, timeout_seconds=5, **extra):
                    out.write(dumped(kind, change["object"]) + "\n")
                    for text in pod_logs(core, change["object"], seen) if core else []:
                        out.write(text + "\n")
                    if stop.is_set():
                        break
                version = watcher.resource_version
            except Exception:  # a dropped stream, an expired version, a CRD not yet installed
                version = None
                stop.wait(0.5)
            out.flush()


@contextmanager
def watching(kubeconfig: Path, folder: Path) -> Iterator[None]:
    """Watch the cluster's Events and the objects the operator writes, for the collector."""
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(kubeconfig))
    stop = threading.Event()
    threads = []
    for kind, lister in _listers(api).items():
        sink = folder / f"watched-{kind}.jsonl"
        COLLECTOR.add_file(f"cluster {kind}", sink)
        core = client.CoreV1Api(api) if kind == "pods" else None
        watcher = (kind, lister, sink, stop, core)
        thread = threading.Thread(target=_watch, args=watcher, daemon=True)
        thread.start()
        threads.append(thread)
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        api.close()
