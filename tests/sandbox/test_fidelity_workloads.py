"""Fidelity: StatefulSets, DaemonSets and ReplicationControllers follow the real controllers.

From the Kubernetes docs (StatefulSet, DaemonSet, ReplicationController) and the controllers'
status rules: a StatefulSet's pods are `<set>-<ordinal>`, made in order, each with the claims
`<template>-<set>-<ordinal>` of its volumeClaimTemplates, which outlive a scale-down; a
DaemonSet runs one pod on each node; `kubectl rollout status` finishes with the real messages
for both; a ReplicationController keeps its replicas and serves /scale with its map selector.
Runs on the sandbox and on k3s.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fidelity_support import raw_text
from kubernetes import client
from polling import wait_for

pytestmark = [pytest.mark.fidelity, pytest.mark.slow]
SLEEPER = {"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 3600"]}


def _template(app: str, **spec: Any) -> dict[str, Any]:
    pod_spec = {"terminationGracePeriodSeconds": 1, "containers": [SLEEPER], **spec}
    return {"metadata": {"labels": {"app": app}}, "spec": pod_spec}


def _rollout(cluster: Any, what: str, namespace: str) -> list[str]:
    done = cluster.kubectl("rollout", "status", what, "-n", namespace, "--timeout=180s")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def test_a_statefulset_makes_ordered_pods_with_their_claims(cluster, kube, kube_namespace):
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    mount = {"name": "data", "mountPath": "/data"}
    claim = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}},
    }
    template = _template("web")
    template["spec"]["containers"] = [{**SLEEPER, "volumeMounts": [mount]}]
    spec = {
        "replicas": 2,
        "serviceName": "web",
        "selector": {"matchLabels": {"app": "web"}},
        "template": template,
        "volumeClaimTemplates": [claim],
    }
    apps.create_namespaced_stateful_set(kube_namespace, {"metadata": {"name": "web"}, "spec": spec})
    lines = _rollout(cluster, "statefulset/web", kube_namespace)
    assert lines[-1] == "partitioned roll out complete: 2 new pods have been updated..."
    pods = {p.metadata.name: p for p in core.list_namespaced_pod(kube_namespace).items}
    assert sorted(pods) == ["web-0", "web-1"]
    status = apps.read_namespaced_stateful_set_status("web", kube_namespace).status
    assert (status.replicas, status.ready_replicas, status.updated_replicas) == (2, 2, 2)
    assert status.current_revision == status.update_revision
    for ordinal, name in enumerate(["web-0", "web-1"]):
        labels = pods[name].metadata.labels
        assert labels["statefulset.kubernetes.io/pod-name"] == name
        assert labels["apps.kubernetes.io/pod-index"] == str(ordinal)
        assert labels["controller-revision-hash"] == status.update_revision
        assert (pods[name].spec.hostname, pods[name].spec.subdomain) == (name, "web")
        volume = next(v for v in pods[name].spec.volumes if v.name == "data")
        assert volume.persistent_volume_claim.claim_name == f"data-{name}"
    ready_0 = next(c for c in pods["web-0"].status.conditions if c.type == "Ready")
    assert pods["web-1"].metadata.creation_timestamp >= ready_0.last_transition_time
    claims = {
        c.metadata.name: c
        for c in core.list_namespaced_persistent_volume_claim(kube_namespace).items
    }
    assert sorted(claims) == ["data-web-0", "data-web-1"]
    assert claims["data-web-1"].metadata.labels == {"app": "web"}
    apps.patch_namespaced_stateful_set_scale("web", kube_namespace, {"spec": {"replicas": 1}})

    def scaled_down() -> bool:
        names = [p.metadata.name for p in core.list_namespaced_pod(kube_namespace).items]
        return names == ["web-0"]

    wait_for(scaled_down, 120, "web-1 removed")
    kept = [
        c.metadata.name for c in core.list_namespaced_persistent_volume_claim(kube_namespace).items
    ]
    assert sorted(kept) == ["data-web-0", "data-web-1"]  # Retain: claims outlive their pods


def _schedulable(kube: Any) -> list[str]:
    nodes = client.CoreV1Api(kube).list_node().items
    return sorted(
        n.metadata.name
        for n in nodes
        if not any(t.effect in ("NoSchedule", "NoExecute") for t in n.spec.taints or [])
    )


def test_a_daemonset_runs_one_pod_per_node_and_rolls_out(cluster, kube, kube_namespace):
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    spec = {"selector": {"matchLabels": {"app": "agent"}}, "template": _template("agent")}
    apps.create_namespaced_daemon_set(kube_namespace, {"metadata": {"name": "agent"}, "spec": spec})
    lines = _rollout(cluster, "daemonset/agent", kube_namespace)
    assert lines[-1] == 'daemon set "agent" successfully rolled out'
    nodes = _schedulable(kube)
    pods = core.list_namespaced_pod(kube_namespace, label_selector="app=agent").items
    assert sorted(p.spec.node_name for p in pods) == nodes
    for pod in pods:
        terms = pod.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution
        fields = terms.node_selector_terms[0].match_fields[0]
        assert (fields.key, fields.values) == ("metadata.name", [pod.spec.node_name])
        assert pod.metadata.labels["pod-template-generation"] == "1"
    status = apps.read_namespaced_daemon_set_status("agent", kube_namespace).status
    assert status.desired_number_scheduled == len(nodes)
    assert (status.number_ready, status.number_available) == (len(nodes), len(nodes))
    old_hash = pods[0].metadata.labels["controller-revision-hash"]
    patch = {"spec": {"template": {"metadata": {"annotations": {"fidelity": "2"}}}}}
    apps.patch_namespaced_daemon_set("agent", kube_namespace, patch)
    assert _rollout(cluster, "daemonset/agent", kube_namespace)[-1].endswith(
        "successfully rolled out"
    )

    def replaced() -> bool:
        now = core.list_namespaced_pod(kube_namespace, label_selector="app=agent").items
        live = [p for p in now if p.metadata.deletion_timestamp is None]
        return len(live) == len(nodes) and all(
            p.metadata.labels["controller-revision-hash"] != old_hash
            and p.metadata.labels["pod-template-generation"] == "2"
            for p in live
        )

    wait_for(replaced, 120, "daemon pods of the new template")


def test_a_replication_controller_keeps_its_replicas_and_scales(cluster, kube, kube_namespace):
    core = client.CoreV1Api(kube)
    spec = {"replicas": 1, "selector": {"app": "rc"}, "template": _template("rc")}
    core.create_namespaced_replication_controller(
        kube_namespace, {"metadata": {"name": "rc"}, "spec": spec}
    )
    done = cluster.kubectl("scale", "rc/rc", "--replicas=2", "-n", kube_namespace)
    assert done.returncode == 0, done.stderr

    def ready() -> Any:
        rc = core.read_namespaced_replication_controller_status("rc", kube_namespace)
        return rc if (rc.status.ready_replicas or 0) == 2 else None

    rc = wait_for(ready, 120, "two ready replicas")
    assert (rc.status.replicas, rc.status.fully_labeled_replicas) == (2, 2)
    path = f"/api/v1/namespaces/{kube_namespace}/replicationcontrollers/rc/scale"
    status, text, _ = raw_text(kube, "GET", path)
    scale = json.loads(text)
    assert (status, scale["kind"], scale["apiVersion"]) == (200, "Scale", "autoscaling/v1")
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 2, "selector": "app=rc"}
    pods = core.list_namespaced_pod(kube_namespace, label_selector="app=rc").items
    assert {p.metadata.owner_references[0].kind for p in pods} == {"ReplicationController"}
    table = cluster.kubectl("get", "rc", "-n", kube_namespace)
    assert table.stdout.split("\n")[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
