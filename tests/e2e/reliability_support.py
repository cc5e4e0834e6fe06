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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, watch
from release_objects import GROUP, PLURAL, VERSION
from release_support import Api, Operator, install_crd

DATABASE = "myfoodbudget.db"
STAMP = re.compile(r"\d{8}T\d{6}Z")
FINAL = ("Ready", "RolledBack", "Failed")


def sandbox_only(cluster: Any) -> None:
    """Skip unless the cluster is the sandbox, whose claims are folders on this machine."""
    if not cluster.is_sandbox:
        pytest.skip("reads the claim's files on the sandbox's host: sandbox only")


def claim_dir(api: Api, claim: str) -> Path:
    """The folder the sandbox keeps a claim's data in."""
    return Path(api.cluster.kubeconfig).parent / "data" / "volumes" / api.ns / claim


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
    def of(cls, api: Api, name: str, history: SpecHistory) -> Outcome:
        """Read it from the cluster, the claim and the Deployments' history."""
        status = api.status(name)
        return cls(
            phase=status.get("phase", ""),
            reason=status.get("reason", ""),
            image=status.get("image", ""),
            failed_image=status.get("failedImage") or "",
            deployment=api.deployment_image(name),
            specs=history.of(name),
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


def phases(api: Api) -> dict[str, str]:
    """The phase of every Release of the namespace, by name."""
    found = api.custom.list_namespaced_custom_object(GROUP, VERSION, api.ns, PLURAL)
    return {
        item["metadata"]["name"]: (item.get("status") or {}).get("phase", "")
        for item in found["items"]
    }


@contextlib.contextmanager
def namespace_operator(cluster: Any, folder: Path, prefix: str) -> Iterator[tuple[Api, Operator]]:
    """A fresh namespace with the Release CRD, and an operator of its own watching it."""
    api = Api(cluster, f"{prefix}-{uuid.uuid4().hex[:6]}")
    install_crd(api)
    env = {"OPERATOR_NAMESPACE": api.ns, **cluster.operator_env()}
    operator = Operator(cluster.kubeconfig, api.ns, folder / f"{api.ns}.log", env)
    operator.start()
    try:
        yield api, operator
    finally:
        api.kubectl("delete", "releases", "--all", "--timeout=60s")  # while finalizers work
        operator.stop()
        api.core.delete_namespace(api.ns)


class SpecHistory:
    """Every spec a namespace's Deployments went through (image and replicas at each new
    generation), from a watch in a thread of its own: a spec applied twice or half shows."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.specs: dict[str, list[tuple[int, str, int]]] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SpecHistory:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join(10)

    def of(self, name: str) -> list[tuple[str, int]]:
        """(image, replicas) of each generation of the Deployment, in order."""
        return [(image, replicas) for _, image, replicas in self.specs.get(name, [])]

    def _note(self, deployment: Any) -> None:
        meta, spec = deployment.metadata, deployment.spec
        image = next(c.image for c in spec.template.spec.containers if c.name == "app")
        seen = self.specs.setdefault(meta.name, [])
        if not seen or seen[-1][0] != meta.generation:
            seen.append((meta.generation, image, spec.replicas))

    def _run(self) -> None:
        listed = self.api.apps.list_namespaced_deployment(self.api.ns)
        for item in listed.items:
            self._note(item)
        version = listed.metadata.resource_version
        while not self.stopped.is_set():
            stream = watch.Watch().stream(
                self.api.apps.list_namespaced_deployment,
                self.api.ns,
                resource_version=version,
                timeout_seconds=2,
            )
            with contextlib.suppress(client.ApiException, OSError, ValueError):
                for event in stream:
                    self._note(event["object"])
                    version = event["object"].metadata.resource_version
