"""Pure builder of the preflight's pod: the Release's template running the new image on the
scratch copy of the database, in a pod no Service and no Deployment selects."""

from __future__ import annotations

import copy
from typing import Any

from gitops.api import JOB_KIND_LABEL
from gitops.release.actions import PodRequest
from gitops.release.builders import (
    build_pod_template,
    common_labels,
    owner_reference,
)
from gitops.release.spec import ReleaseSpec

Body = dict[str, Any]
KIND = "preflight"  # its JOB_KIND_LABEL, which also keeps it out of the app's pods


def preflight_labels(release: Body) -> dict[str, str]:
    """The operator's labels only, with a name and instance of its own: the template's labels
    (which the app's Services select) and the Deployment's selector never match it."""
    name = release["metadata"]["name"]
    return {
        **common_labels(release),
        "app.kubernetes.io/name": f"{name}-{KIND}",
        "app.kubernetes.io/instance": f"{name}-{KIND}",
        "app.kubernetes.io/component": KIND,
        JOB_KIND_LABEL: KIND,
    }


def _point_at_copy(pod_spec: Body, volume: str, folder: str) -> None:
    """Every mount of the claim's volume sees `folder` of the claim instead of its root."""
    for key in ("initContainers", "containers"):
        for container in pod_spec.get(key) or []:
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") == volume:
                    inner = str(mount.get("subPath") or "").strip("/")
                    mount["subPath"] = f"{folder}/{inner}" if inner else folder
                    mount.pop("subPathExpr", None)


def build_preflight_pod(release: Body, spec: ReleaseSpec, want: PodRequest) -> Body:
    """The preflight pod: run once (restartPolicy Never), on the app's node, ending by itself
    after want.deadline_seconds even if nobody deletes it."""
    template = build_pod_template(release, spec, want.image)
    pod_spec = copy.deepcopy(template["spec"])
    _point_at_copy(pod_spec, spec.data_volume, want.folder)
    pod_spec["restartPolicy"] = "Never"
    pod_spec["activeDeadlineSeconds"] = want.deadline_seconds
    if want.node_name:
        pod_spec["nodeName"] = want.node_name
    for container in pod_spec.get("containers") or []:
        if container.get("name") == spec.container:
            container.setdefault("terminationMessagePolicy", "FallbackToLogsOnError")
    metadata = template.get("metadata") or {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": want.name,
            "namespace": release["metadata"]["namespace"],
            "labels": preflight_labels(release),
            "annotations": dict(metadata.get("annotations") or {}),
            "ownerReferences": [owner_reference(release)],
        },
        "spec": pod_spec,
    }
