"""Fidelity: every kind reads back with the empty structs and zero values Go always writes.

Go's `omitempty` never drops a struct that is not a pointer, and fields without omitempty
keep their zero value, so a minimal object reads back with e.g. `status: {}` (Deployment,
Job, CronJob), `status: {loadBalancer: {}}` (Service, Ingress), `resources: {}` in every
container, `rules: null` (Role). The table of each kind (its Strategy's shape, checked against
kubectl's Go encoding and the 1.37 schemas in test_structs_oracle.py) is what the answer must
hold, on the sandbox and on k3s alike: one minimal object of every kind the sandbox serves.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fidelity_support import missing, raw_text, service_account_ready

from sandbox.apiserver.registry import ResourceType
from sandbox.kinds import BUILTIN, event

pytestmark = pytest.mark.fidelity
LABELS = {"app": "fidelity"}
NOWHERE = {"fidelity.example.com/no-such-node": "true"}  # schedules nothing
CONTAINER = {
    "name": "c",
    "image": "busybox:1.36",
    "command": ["sh", "-c", "sleep 3600"],
    "ports": [{"containerPort": 8080}],
}
POD_SPEC = {"terminationGracePeriodSeconds": 1, "containers": [CONTAINER]}
TEMPLATE = {"metadata": {"labels": LABELS}, "spec": POD_SPEC}
WORKLOAD = {"selector": {"matchLabels": LABELS}, "template": TEMPLATE}
# what the Events are about; its namespace must be theirs (set per test)
REFERENCE = {"kind": "ConfigMap", "name": "x", "apiVersion": "v1"}
NOW = "2026-01-01T00:00:00.000000Z"
UNIQUE = uuid.uuid4().hex[:8]
# a minimal object of every kind (namespaced ones go to the test's namespace)
MINIMAL: dict[str, dict[str, Any]] = {
    "Namespace": {},  # the test's own
    "Node": {},  # the cluster's first
    "APIService": {},  # v1.apps
    "ConfigMap": {"data": {"a": "b"}},
    "Secret": {"stringData": {"a": "b"}},
    "ServiceAccount": {},
    "Service": {"spec": {"ports": [{"port": 80}], "selector": LABELS}},
    "PersistentVolumeClaim": {
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}}
    },
    "Pod": {"spec": POD_SPEC},
    "ReplicationController": {"spec": {"replicas": 0, "selector": LABELS, "template": TEMPLATE}},
    "Event": {"involvedObject": REFERENCE, "reason": "Tested", "message": "fidelity"},
    "Deployment": {"spec": {"replicas": 0, **WORKLOAD}},
    "ReplicaSet": {"spec": {"replicas": 0, **WORKLOAD}},
    "StatefulSet": {
        "spec": {
            "replicas": 0,
            **WORKLOAD,
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Mi"}},
                    },
                }
            ],
        }
    },
    "DaemonSet": {
        "spec": {
            **WORKLOAD,
            "template": {**TEMPLATE, "spec": {**POD_SPEC, "nodeSelector": NOWHERE}},
        }
    },
    "ControllerRevision": {"data": {"spec": {}}, "revision": 1},
    "Job": {
        "spec": {"suspend": True, "template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}
    },
    "CronJob": {
        "spec": {
            "schedule": "0 0 1 1 *",
            "suspend": True,
            "jobTemplate": {"spec": {"template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}},
        }
    },
    "Ingress": {
        "spec": {
            "rules": [
                {
                    "host": "fidelity.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        }
    },
    "NetworkPolicy": {"spec": {}},
    "Role": {},
    "RoleBinding": {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "x"}
    },
    "ClusterRole": {},
    "ClusterRoleBinding": {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "x"}
    },
    "CustomResourceDefinition": {
        "spec": {
            "group": f"f{UNIQUE}.fidelity.example.com",
            "scope": "Namespaced",
            "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        }
    },
}
EVENTS_V1 = {
    "eventTime": NOW,
    "reportingController": "fidelity.example.com/test",
    "reportingInstance": "fidelity-1",
    "action": "Testing",
    "reason": "Tested",
    "regarding": REFERENCE,
    "type": "Normal",
    "note": "fidelity",
}


def _collection(rtype: ResourceType, namespace: str) -> str:
    prefix = f"/apis/{rtype.group}/{rtype.version}" if rtype.group else "/api/v1"
    where = f"/namespaces/{namespace}" if rtype.namespaced else ""
    return f"{prefix}{where}/{rtype.plural}"


def _name(rtype: ResourceType, namespace: str) -> str:
    if rtype.kind == "CustomResourceDefinition":
        spec = MINIMAL["CustomResourceDefinition"]["spec"]
        return f"{spec['names']['plural']}.{spec['group']}"
    return "fidelity" if rtype.namespaced else f"fidelity-{namespace}"


def _about(value: Any, namespace: str) -> Any:
    """The Events' reference, in the namespace they are created in."""
    return {**value, "namespace": namespace} if value is REFERENCE else value


def _read_back(kube: Any, rtype: ResourceType, namespace: str) -> dict[str, Any]:
    """Create the minimal object (or pick an existing one) and GET it."""
    if rtype.kind == "Namespace":
        path = f"/api/v1/namespaces/{namespace}"
    elif rtype.kind == "Node":
        listed = json.loads(raw_text(kube, "GET", "/api/v1/nodes")[1])
        path = f"/api/v1/nodes/{listed['items'][0]['metadata']['name']}"
    elif rtype.kind == "APIService":
        path = f"{_collection(rtype, namespace)}/v1.apps"
    else:
        if rtype.kind == "Pod":
            service_account_ready(kube, namespace)
        body = MINIMAL[rtype.kind] if rtype.strategy.from_storage is None else EVENTS_V1
        body = {k: _about(v, namespace) for k, v in body.items()}
        name = _name(rtype, namespace)
        body = {
            "apiVersion": rtype.api_version,
            "kind": rtype.kind,
            "metadata": {"name": name},
            **body,
        }
        status, text, _ = raw_text(kube, "POST", _collection(rtype, namespace), body)
        assert status == 201, text
        path = f"{_collection(rtype, namespace)}/{name}"
    status, text, _ = raw_text(kube, "GET", path)
    assert status == 200, text
    return dict(json.loads(text))


def test_every_kind_has_a_minimal_object():
    assert {t.kind for t in BUILTIN} == set(MINIMAL)


@pytest.mark.parametrize("rtype", BUILTIN, ids=lambda t: f"{t.api_version}/{t.kind}")
def test_a_minimal_object_reads_back_with_what_go_always_writes(kube, kube_namespace, rtype):
    shape = event.V1_SHAPE if rtype is event.EVENTS_V1 else rtype.strategy.shape
    obj = _read_back(kube, rtype, kube_namespace)
    try:
        assert missing(obj, shape) == [], json.dumps(obj, indent=1)[:3000]
    finally:
        if not rtype.namespaced and rtype.kind not in ("Namespace", "Node", "APIService"):
            name = _name(rtype, kube_namespace)
            raw_text(kube, "DELETE", f"{_collection(rtype, kube_namespace)}/{name}")
