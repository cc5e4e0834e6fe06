"""What the crash, fault and process-fault e2e modules share: operators of their own, the
claim's files read on the sandbox's host, and what a Release's run left behind.

The sandbox keeps a claim as a folder (`<data>/volumes/<namespace>/<claim>`) on this machine,
so the tests read the app's SQLite file and the snapshots folder directly, as the kubelet's
node would; on another cluster they skip.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, watch
from release_objects import GROUP, PLURAL, VERSION
from release_support import Api, Operator, install_crd, wait_for
from support.sandbox import tls_context, urlopen

DATABASE = "myfoodbudget.db"
STAMP = re.compile(r"\d{8}T\d{6}Z")
FINAL = ("Ready", "RolledBack", "Failed")


def set_faults(cluster: Any, **settings: Any) -> None:
    """Replace the sandbox's fault settings (POST /sandbox/faults, as the kubeconfig's admin)."""
    kubeconfig = yaml.safe_load(cluster.kubeconfig.read_text())
    server = kubeconfig["clusters"][0]["cluster"]["server"]
    context = tls_context(cluster.kubeconfig)
    with urlopen(f"{server}/sandbox/faults", context, settings) as response:
        assert response.status == 200


def sandbox_only(cluster: Any) -> None:
    """Skip unless the cluster is the sandbox, whose claims are folders on this machine."""
    if not cluster.is_sandbox:
        pytest.skip("reads the claim's files on the sandbox's host: sandbox only")


def claim_dir(api: Api, claim: str) -> Path:
    """The folder the sandbox keeps a claim's data in, named as k3s's local-path provisioner
    names it: data/storage/pvc-<claim uid>_<namespace>_<claim> (the newest, when a claim of
    that name was made again)."""
    storage = Path(api.cluster.kubeconfig).parent / "data" / "storage"
    try:  # the claim's own folder, made or not yet (the first pod that mounts it makes it)
        uid = api.core.read_namespaced_persistent_volume_claim(claim, api.ns).metadata.uid
        return storage / f"pvc-{uid}_{api.ns}_{claim}"
    except client.ApiException as error:
        if error.status != 404:
            raise
    found = sorted(storage.glob(f"pvc-*_{api.ns}_{claim}"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise AssertionError(f"no folder of claim {api.ns}/{claim} under {storage}")
    return found[-1]  # a deleted claim's folder stays, as local-path's does until reclaimed


def count_rows(database: Path) -> dict[str, int]:
    """Rows in every table of a SQLite file, read-only ({} when there is no file)."""
    if not database.exists():
        return {}
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def lost_rows(before: dict[str, int], after: dict[str, int]) -> int:
    """Rows present before and missing after, summed over the tables."""
    return sum(max(0, count - after.get(table, 0)) for table, count in before.items())


def release_rows(api: Api, name: str) -> dict[str, int]:
    """Rows of the app's database on the Release's claim."""
    return count_rows(claim_dir(api, f"{name}-data") / DATABASE)


def snapshot_names(api: Api, name: str) -> list[str]:
    """The snapshots folder of the Release's claim, its name and the times taken out."""
    folder = claim_dir(api, f"{name}-data") / "snapshots"
    if not folder.is_dir():
        return []
    return sorted(STAMP.sub("<time>", p.name).replace(name, "<release>") for p in folder.iterdir())


def job_names(api: Api, name: str) -> list[str]:
    """The Release's Jobs, its name taken out (a duplicate shows twice)."""
    return sorted(job.replace(name, "<release>", 1) for job in api.jobs(name))


@dataclass(frozen=True)
class Outcome:
    """What one Release's run left behind, comparable between two Releases of one scenario."""

    phase: str
    reason: str
    image: str
    failed_image: str
    deployment: str | None
    specs: list[tuple[str, int]]  # the Deployment's (image, replicas), generation by generation
    snapshots: list[str]
    jobs: list[str]
    rows: dict[str, int]

    @classmethod
    def of(cls, api: Api, name: str, history: History) -> Outcome:
        """Read it from the cluster, the claim and the Deployments' history."""
        status = api.status(name)
        return cls(
            phase=status.get("phase", ""),
            reason=status.get("reason", ""),
            image=status.get("image", ""),
            failed_image=status.get("failedImage") or "",
            deployment=api.deployment_image(name),
            specs=[spec[1:] for spec in history.of(name)],
            snapshots=snapshot_names(api, name),
            jobs=job_names(api, name),
            rows=release_rows(api, name),
        )

    def differences(self, other: Outcome) -> list[str]:
        """The fields that differ, each as `field: this != other`."""
        mine, theirs = vars(self), vars(other)
        return [
            f"{key}: {mine[key]!r} != {theirs[key]!r}" for key in mine if mine[key] != theirs[key]
        ]


def settled(api: Api, name: str) -> dict[str, Any] | None:
    """The status once the Release is in a final phase with nothing in flight."""
    status = api.status(name)
    done = status.get("phase") in FINAL and not status.get("rollout")
    return status if done else None


def rollout_ended(api: Api, name: str, patch: dict[str, Any], what: str) -> dict[str, Any]:
    """Patch the Release to start a rollout; the status once that rollout (a new
    status.rolloutCount) settled."""
    count = api.status(name).get("rolloutCount", 0)
    api.patch_release(name, patch)

    def ended() -> dict[str, Any] | None:
        status = settled(api, name)
        return status if status and status.get("rolloutCount", 0) > count else None

    return wait_for(ended, 180, f"{name}'s {what} ending")


def phases(api: Api) -> dict[str, str]:
    """The phase of every Release of the namespace, by name."""
    found = api.custom.list_namespaced_custom_object(GROUP, VERSION, api.ns, PLURAL)
    return {
        item["metadata"]["name"]: (item.get("status") or {}).get("phase", "")
        for item in found["items"]
    }


@contextlib.contextmanager
def namespace_operator(
    cluster: Any, folder: Path, prefix: str, env: dict[str, str] | None = None
) -> Iterator[tuple[Api, Operator]]:
    """A fresh namespace with the Release CRD, and an operator of its own watching it."""
    api = Api(cluster, f"{prefix}-{uuid.uuid4().hex[:6]}")
    install_crd(api)
    env = {"OPERATOR_NAMESPACE": api.ns, **cluster.operator_env(), **(env or {})}
    operator = Operator(cluster.kubeconfig, api.ns, folder / f"{api.ns}.log", env)
    operator.start()
    try:
        yield api, operator
    finally:
        api.kubectl("delete", "releases", "--all", "--timeout=60s")  # while finalizers work
        operator.stop()
        api.core.delete_namespace(api.ns)


class History:
    """What a namespace's objects of one kind went through, from a watch in a thread of its
    own: `view(obj)` of each event, by name, repeats in a row left out."""

    def __init__(self, lister: Callable[..., Any], namespace: str, view: Callable[[Any], Any]):
        self.lister, self.namespace, self.view = lister, namespace, view
        self.seen: dict[str, list[Any]] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> History:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join(10)

    def of(self, name: str) -> list[Any]:
        """The views of one object, in order."""
        return list(self.seen.get(name, []))

    def catch_up(self, timeout: float = 30) -> None:
        """Wait until the watch has seen every object as the API holds it now (a watch event
        may come a moment after the write a test waited for)."""

        def caught() -> bool:
            listed = self.lister(self.namespace).items
            return all(self.of(o.metadata.name)[-1:] == [self.view(o)] for o in listed)

        wait_for(caught, timeout, f"the watch on {self.namespace} catching up with the API")

    def _note(self, obj: Any) -> None:
        seen, view = self.seen.setdefault(obj.metadata.name, []), self.view(obj)
        if not seen or seen[-1] != view:
            seen.append(view)

    def _run(self) -> None:
        listed = self.lister(self.namespace)
        for item in listed.items:
            self._note(item)
        version = listed.metadata.resource_version
        while not self.stopped.is_set():
            # KeyError: Watch() reads the environment, which pytest changes from its thread
            with contextlib.suppress(client.ApiException, OSError, ValueError, KeyError):
                stream = watch.Watch().stream(
                    self.lister, self.namespace, resource_version=version, timeout_seconds=2
                )
                for event in stream:
                    self._note(event["object"])
                    version = event["object"].metadata.resource_version


def deployment_spec(deployment: Any) -> tuple[int, str, int]:
    """(generation, image of the app container, replicas) of a Deployment."""
    spec = deployment.spec
    image = next(c.image for c in spec.template.spec.containers if c.name == "app")
    return deployment.metadata.generation, image, spec.replicas


def spec_history(api: Api) -> History:
    """Every spec the namespace's Deployments went through: one applied twice or half shows."""
    return History(api.apps.list_namespaced_deployment, api.ns, deployment_spec)


ON_POD = " (operator pod, docker runtime)"  # how the records name a kill of the operator's pod


class PodKiller:
    """An operator to kill and start again: the in-cluster one (tests.support.in_cluster),
    whose pod is deleted with grace 0 (its container SIGKILLed, its Deployment starts
    another), back as soon as the new container runs (not its readiness probe)."""

    def __init__(self, operator: Any) -> None:
        self.operator = operator

    def kill(self) -> None:
        """Delete its pod with grace 0."""
        self.operator.kill()

    def start(self) -> None:
        """Wait for the new pod's container."""
        self.operator.start(ready=False)
