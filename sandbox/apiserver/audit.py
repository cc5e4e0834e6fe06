"""The audit log: one JSON line per write (create, update, patch, delete) that was allowed, as
kube-apiserver's `--audit-log-path` writes them at the Metadata level (audit.k8s.io/v1 Event:
who, verb, the object, the answer's code). Reads and watches are not logged."""

from __future__ import annotations

import datetime
import json
import pathlib
import uuid

from sandbox.apiserver.identity import User
from sandbox.apiserver.requestinfo import Attributes

WRITES = frozenset({"create", "update", "patch", "delete", "deletecollection"})


def record(log: pathlib.Path, user: User, attrs: Attributes, code: int, uri: str) -> None:
    """Append one Event for a write to a resource (other requests are not logged)."""
    if attrs.verb not in WRITES or not attrs.resource:
        return
    reference = {"resource": attrs.resource, "namespace": attrs.namespace, "name": attrs.name,
                 "apiGroup": attrs.group, "subresource": attrs.subresource}  # fmt: skip
    event = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": str(uuid.uuid4()),
        "stage": "ResponseComplete",
        "requestURI": uri,
        "verb": attrs.verb,
        "user": {"username": user.name, "groups": list(user.groups)},
        "objectRef": {k: v for k, v in reference.items() if v},
        "responseStatus": {"metadata": {}, "code": code},
        "stageTimestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    with log.open("a", encoding="utf-8") as out:
        out.write(json.dumps(event) + "\n")
