"""Pure builders of the objects a Release owns: its Deployment and its snapshot/restore Jobs."""

from __future__ import annotations

import copy
from typing import Any

from gitops.api import (
    API_VERSION,
    COMPONENT,
    JOB_KIND_LABEL,
    RELEASE_KIND,
    RELEASE_LABEL,
    TEMPLATE_HASH_ANNOTATION,
)
from gitops.release.actions import (
    DATA_MOUNT,
    RESTIC_MOUNT,
    SCRATCH_MOUNT,
    EnsureDeployment,
    JobRequest,
)
from gitops.release.spec import ReleaseSpec

JOB_TTL_SECONDS = 86400  # long after its rollout ended; the result is kept in status
TERMINATION_PATH = "/dev/termination-log"  # passed in args too, so a rewritten path follows
IMAGE_ENV = "APP_IMAGE"  # the app reports it on /version
Body = dict[str, Any]


def owner_reference(release: Body) -> Body:
    """The controller ownerReference that ties a child to its Release."""
    meta = release["metadata"]
    return {
        "apiVersion": release.get("apiVersion", API_VERSION),
        "kind": RELEASE_KIND,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def selector_labels(release: Body) -> dict[str, str]:
    """The labels that select the Release's pods."""
    name = release["metadata"]["name"]
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def common_labels(release: Body) -> dict[str, str]:
    """The recommended app.kubernetes.io labels plus the owning Release's name."""
    name = release["metadata"]["name"]
    return {
        **selector_labels(release),
        "app.kubernetes.io/managed-by": COMPONENT,
        "app.kubernetes.io/part-of": name,
        RELEASE_LABEL: name,
    }


def job_labels(release: Body, kind: str) -> dict[str, str]:
    """Labels of a Job and its pod: distinct app name, so the Deployment never selects them."""
    name = release["metadata"]["name"]
    return {
        **common_labels(release),
        "app.kubernetes.io/name": f"{name}-{kind}",
        JOB_KIND_LABEL: kind,
    }


def _child_metadata(release: Body, name: str, extra_labels: dict[str, str]) -> Body:
    """Metadata of an owned child: namespace, labels, ownerReference."""
    return {
        "name": name,
        "namespace": release["metadata"]["namespace"],
        "labels": {**common_labels(release), **extra_labels},
        "ownerReferences": [owner_reference(release)],
    }


def _strategy(strategy: str) -> Body:
    """Recreate (one SQLite writer at a time) or a surge-first RollingUpdate."""
    if strategy == "RollingUpdate":
        return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    return {"type": "Recreate"}


def build_pod_template(release: Body, spec: ReleaseSpec, image: str) -> Body:
    """The Release's template with `image` on `container` and the selector labels added."""
    template = copy.deepcopy(dict(spec.template))
    meta = template.setdefault("metadata", {})
    meta["labels"] = {**(meta.get("labels") or {}), **common_labels(release)}
    containers = template.setdefault("spec", {}).setdefault("containers", [])
    target = next((c for c in containers if c.get("name") == spec.container), None)
    if target is None:
        raise ValueError(f"spec.container: no container named {spec.container!r} in spec.template")
    target["image"] = image
    env = target.setdefault("env", [])
    if not any(item.get("name") == IMAGE_ENV for item in env):
        env.append({"name": IMAGE_ENV, "value": image})
    return template


def build_deployment(release: Body, spec: ReleaseSpec, want: EnsureDeployment) -> Body:
    """The owned Deployment running want.image with want.replicas."""
    metadata = _child_metadata(release, release["metadata"]["name"], {})
    metadata["annotations"] = {TEMPLATE_HASH_ANNOTATION: want.template_hash}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": want.replicas,
            "selector": {"matchLabels": selector_labels(release)},
            "strategy": _strategy(spec.strategy),
            "revisionHistoryLimit": 3,
            "progressDeadlineSeconds": spec.readiness.timeout_seconds,
            "template": build_pod_template(release, spec, want.image),
        },
    }


def pod_security(spec: ReleaseSpec) -> Body:
    """Non-root pod security, reusing the app's user and group so its files stay readable."""
    pod = spec.template.get("spec") or {}
    app = pod.get("securityContext") or {}
    user = app.get("runAsUser", 10001)
    group = app.get("runAsGroup", user)
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": group,
        "fsGroup": app.get("fsGroup", group),
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _job_volumes(job: JobRequest) -> tuple[list[Body], list[Body]]:
    """(volumes, mounts): the claim; for a backup Job the restic Secret and a scratch folder."""
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": job.claim_name}}]
    mounts: list[Body] = [{"name": "data", "mountPath": DATA_MOUNT}]
    if job.secret_name:  # optional: the Job itself says which Secret is missing, and how to fix
        secret = {"secretName": job.secret_name, "defaultMode": 0o440, "optional": True}
        volumes.append({"name": "restic", "secret": secret})
        mounts.append({"name": "restic", "mountPath": RESTIC_MOUNT, "readOnly": True})
    if job.scratch:
        volumes.append({"name": "scratch", "emptyDir": {}})
        mounts.append({"name": "scratch", "mountPath": SCRATCH_MOUNT})
    return volumes, mounts


def _job_container(job: JobRequest, image: str, mounts: list[Body]) -> Body:
    """The single container of a Job of the Release."""
    memory = "512Mi" if job.module == "gitops.backup" else "256Mi"  # restic holds its index
    env = [{"name": "TMPDIR", "value": SCRATCH_MOUNT}] if job.scratch else []
    return {
        "name": job.module.rsplit(".", 1)[-1],
        "image": image,
        "command": ["python", "-m", job.module],
        "args": [*job.args, "--termination-log", TERMINATION_PATH],
        "terminationMessagePath": TERMINATION_PATH,
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": mounts,
        **({"env": env} if env else {}),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": memory}},
    }


def build_job(release: Body, spec: ReleaseSpec, job: JobRequest, image: str, deadline: int) -> Body:
    """A one-shot Job (no retries) running job.module on the claim, pinned to job.node_name."""
    labels = job_labels(release, job.label)
    volumes, mounts = _job_volumes(job)
    pod_spec: Body = {
        "restartPolicy": "Never",
        "securityContext": pod_security(spec),
        "containers": [_job_container(job, image, mounts)],
        "volumes": volumes,
    }
    if job.node_name:
        pod_spec["nodeName"] = job.node_name
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {**_child_metadata(release, job.name, {}), "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": deadline,
            "ttlSecondsAfterFinished": JOB_TTL_SECONDS,
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }
