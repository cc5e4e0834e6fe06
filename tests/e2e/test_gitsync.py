"""The GitSync controller end to end: the operator process, real git remotes and a cluster."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from gitops.api import GROUP, VERSION
from gitsync_support import Cluster, certs, kube, never, operator, overlay, remote
from release_support import wait_for
from support.canary import CANARIES
from support.git import GitRemote
from support.in_cluster import https_server
from support.reliability import bad_input

__all__ = ["certs", "kube", "operator", "remote"]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = CANARIES["git-token"]


def test_new_commit_is_applied_within_the_interval_and_an_unchanged_one_applies_nothing(
    kube: Cluster, remote: GitRemote
) -> None:
    kube.start(remote, remote.url, interval="3s")
    second = remote.commit(overlay("2"))
    pushed = time.monotonic()
    wait_for(lambda: (kube.value() or ("",))[0] == "2", 10, "applying the second commit")
    assert time.monotonic() - pushed <= 3 + 2
    wait_for(lambda: kube.applied(second), 5, "Ready on the second commit")
    value = kube.value()
    synced = kube.gitsync()["status"]["lastSyncTime"]
    wait_for(lambda: kube.gitsync()["status"]["lastSyncTime"] > synced, 10, "a later check")
    assert kube.value() == value
    assert len(kube.events("Synced")) == 2


def test_broken_commit_is_reported_and_changes_nothing_until_fixed(
    kube: Cluster, remote: GitRemote
) -> None:
    first = kube.start(remote, remote.url, interval="1h")
    before = kube.value()
    remote.commit({"app/settings.yaml": "data: [unclosed\n"})
    kube.request_sync()
    ready = wait_for(
        lambda: (c := kube.condition("Ready")).get("reason") == "BuildFailed" and c, 10, "failure"
    )
    assert ready["status"] == "False"
    assert "settings.yaml" in ready["message"]
    assert kube.condition("Stalled")["status"] == "True"
    # The Event follows the status write (and retries update it, not add to it): wait for it.
    [event] = wait_for(lambda: kube.events("BuildFailed"), 10, "the BuildFailed Event")
    assert event.type == "Warning"
    assert "settings.yaml" in event.message
    unchanged = kube.value() == before and kube.gitsync()["status"]["lastAppliedCommit"] == first
    bad_input(
        "kustomize output",
        "a commit whose YAML does not parse",
        ready["message"],
        unchanged=unchanged,
        namespace=kube.namespace,
    )
    assert kube.value() == before
    assert kube.gitsync()["status"]["lastAppliedCommit"] == first
    fixed = remote.commit(overlay("3"))
    kube.request_sync()
    wait_for(lambda: kube.applied(fixed), 10, "the fixed commit")
    assert kube.value() is not None
    assert (kube.value() or ("",))[0] == "3"


def test_a_stalled_gitsync_keeps_one_warning_whose_count_grows(
    kube: Cluster, remote: GitRemote, cluster: Any
) -> None:
    kube.start(remote, remote.url, interval="1h")
    remote.commit({"app/settings.yaml": "data: [unclosed\n"})
    kube.request_sync()

    def retried() -> list[Any]:
        found = kube.events("BuildFailed")
        return found if sum(e.count or 1 for e in found) >= 3 else []

    [event] = wait_for(retried, 20, "three failed attempts of the broken commit")
    assert event.series.count == event.count
    assert event.series.last_observed_time > event.event_time
    shown = cluster.kubectl("get", "events", "-n", kube.namespace, "--field-selector=type=Warning")
    assert re.search(r"\(x\d+ over \S+\)\s+Warning\s+BuildFailed\s+gitsync/site", shown.stdout)


def test_wrong_token_names_the_secret_and_never_shows_a_token(
    kube: Cluster, remote: GitRemote, certs: Path, operator: Path, in_cluster: Any
) -> None:
    wrong = "canary-e2e-wrong-51c8a0e2f4d7"
    commit = remote.commit(overlay("1"))
    with https_server(in_cluster, remote, "ci", TOKEN, certs) as server:
        kube.secret("git-auth", username="ci", password=wrong)
        kube.create_gitsync(server.url("remote.git"), interval="1h", secretRef={"name": "git-auth"})
        ready = wait_for(
            lambda: (c := kube.condition("Ready")).get("reason") == "FetchFailed" and c, 20, "fail"
        )
        assert f"Secret {kube.namespace}/git-auth" in ready["message"]
        bad_input(
            "git auth Secret",
            "a token the remote refuses",
            ready["message"],
            unchanged=kube.value() is None,
            namespace=kube.namespace,
        )
        assert kube.value() is None
        kube.secret("git-auth", username="ci", password=TOKEN)
        kube.request_sync()
        wait_for(lambda: kube.applied(commit), 15, "the sync with the right token")
    log = operator.read_text()
    assert f"{kube.namespace}/site FetchFailed" in log
    texts = [str(kube.gitsync()), log, *(f"{e.reason} {e.message}" for e in kube.events())]
    for text in texts:
        assert wrong not in text
        assert TOKEN not in text


def test_unreachable_remote_backs_off_and_recovers(
    kube: Cluster, remote: GitRemote, certs: Path, in_cluster: Any
) -> None:
    server = https_server(in_cluster, remote, "ci", TOKEN, certs)
    server.start()
    kube.secret("git-auth", username="ci", password=TOKEN)
    kube.start(remote, server.url("remote.git"), interval="1h", secretRef={"name": "git-auth"})
    server.stop()
    second = remote.commit(overlay("2"))
    kube.request_sync()
    delays: list[str] = []

    def backing_off() -> bool:
        message = kube.condition("Reconciling").get("message", "")
        if message.startswith("Retrying in ") and message.split()[2] not in delays:
            delays.append(message.split()[2])
        return len(delays) >= 3

    wait_for(backing_off, 15, "three growing retry delays")
    assert [float(d.rstrip("s:")) for d in delays] == sorted(float(d.rstrip("s:")) for d in delays)
    assert kube.condition("Ready")["reason"] == "FetchFailed"
    server.start()
    try:
        wait_for(lambda: kube.applied(second), 15, "recovery once the remote is back")
    finally:
        server.stop()


def test_sync_request_applies_at_once_and_suspend_holds_still(
    kube: Cluster, remote: GitRemote, cluster: Any
) -> None:
    kube.start(remote, remote.url, interval="1h")
    second = remote.commit(overlay("2"))
    kube.request_sync()
    wait_for(lambda: kube.applied(second), 5, "the requested sync")
    kube.patch_gitsync({"spec": {"suspend": True}})
    wait_for(lambda: kube.condition("Reconciling").get("reason") == "Suspended", 5, "suspension")
    table = cluster.kubectl("get", "gitsyncs", "-n", kube.namespace).stdout.splitlines()
    header, row = table[0].split(), table[1].split()
    assert (row[header.index("READY")], row[header.index("SUSPENDED")]) == ("True", "true")
    third = remote.commit(overlay("3"))
    kube.request_sync()
    assert never(lambda: kube.applied(third), 2.5)
    assert (kube.value() or ("",))[0] == "2"
    kube.patch_gitsync({"spec": {"suspend": False}})
    wait_for(lambda: (kube.value() or ("",))[0] == "3", 10, "the sync after resuming")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"url": "http://example.org/r.git", "path": "app"}, "spec.url"),
        ({"url": "https://u:token@example.org/r.git", "path": "app"}, "spec.url"),
        ({"url": "file:///r.git", "path": "app", "interval": "5 minutes"}, "spec.interval"),
        ({"url": "file:///r.git", "path": "app", "timeout": "2d"}, "spec.timeout"),
        ({"url": "file:///r.git"}, "spec.path"),
        ({"path": "app"}, "spec.url"),
        ({"url": "file:///r.git", "path": "app", "branch": "main branch"}, "spec.branch"),
        ({"url": "file:///r.git", "path": "app", "targetNamespace": "Bad_NS"}, "targetNamespace"),
        ({"url": "file:///r.git", "path": "app", "secretRef": {}}, "spec.secretRef.name"),
    ],
    ids=[
        "http",
        "credentials-in-url",
        "interval",
        "timeout",
        "no-path",
        "no-url",
        "branch",
        "target-namespace",
        "secret-ref-without-name",
    ],
)
def test_schema_refuses_bad_specs(
    kube: Cluster, cluster: Any, spec: dict[str, Any], field: str
) -> None:
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync",
            "metadata": {"name": "site"}, "spec": spec}  # fmt: skip
    refused = cluster.kubectl(
        "-n", kube.namespace, "apply", "--validate=false", "-f", "-", input=json.dumps(body)
    )
    listed = kube.custom.list_namespaced_custom_object(GROUP, VERSION, kube.namespace, "gitsyncs")
    message = refused.stderr.strip()
    given, unchanged = json.dumps(spec), not listed["items"]
    bad_input(
        "GitSync spec (schema)", given, message, unchanged=unchanged, namespace=kube.namespace
    )
    assert refused.returncode != 0
    assert field in message
    assert "is invalid" in message
    assert listed["items"] == []


def test_defaults_columns_and_an_unusable_path(kube: Cluster, cluster: Any) -> None:
    kube.create_gitsync("file:///nowhere.git", path="../outside")
    spec = kube.gitsync()["spec"]
    assert (spec["branch"], spec["interval"], spec["timeout"]) == ("main", "60s", "120s")
    assert (spec["prune"], spec["suspend"]) == (True, False)
    stalled = wait_for(lambda: (c := kube.condition("Stalled")).get("status") == "True" and c, 10,
                       "the invalid spec being reported")  # fmt: skip
    assert stalled["reason"] == "InvalidSpec"
    assert "spec.path '../outside'" in stalled["message"]
    # The Event is posted right after the status write: wait for it rather than race it.
    [event] = wait_for(lambda: kube.events("InvalidSpec"), 10, "the InvalidSpec Event")
    assert event.type == "Warning"
    table = cluster.kubectl("get", "gs", "site", "-n", kube.namespace).stdout.splitlines()
    assert table[0].split() == ["NAME", "COMMIT", "READY", "SUSPENDED", "LAST", "SYNC", "AGE"]
    assert table[1].split()[:3] == ["site", "False", "false"]
