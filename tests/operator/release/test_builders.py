"""The pure builders of the Release's Deployment and Jobs."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from gitops.api import TEMPLATE_HASH_ANNOTATION
from gitops.release.actions import EnsureDeployment, JobRequest
from gitops.release.builders import build_deployment, build_job, selector_labels
from gitops.release.spec import ReleaseSpec

IMAGE = "ghcr.io/owner/myfoodbudget:sha-2"


def release(**spec_changes: Any) -> dict[str, Any]:
    """A Release body as the API returns it."""
    spec: dict[str, Any] = {
        "image": IMAGE,
        "container": "app",
        "template": {
            "metadata": {"labels": {"tier": "web"}},
            "spec": {
                "securityContext": {"runAsUser": 1000, "fsGroup": 2000},
                "containers": [
                    {"name": "sidecar", "image": "busybox:1"},
                    {
                        "name": "app",
                        "ports": [{"containerPort": 8000}],
                        "volumeMounts": [{"name": "db", "mountPath": "/data"}],
                    },
                ],
                "volumes": [{"name": "db", "persistentVolumeClaim": {"claimName": "data"}}],
            },
        },
        "snapshot": {"claimName": "data"},
    }
    spec.update(spec_changes)
    return {
        "apiVersion": "gitops.myfoodbudget.dev/v1alpha1",
        "kind": "Release",
        "metadata": {"name": "shop", "namespace": "web", "uid": "u-1", "generation": 3},
        "spec": spec,
    }


def parsed(body: dict[str, Any]) -> ReleaseSpec:
    """The validated spec of a Release body."""
    return ReleaseSpec.from_dict(body["spec"], name=body["metadata"]["name"])


def test_deployment_sets_image_on_the_named_container_only() -> None:
    body = release()
    spec = parsed(body)
    want = EnsureDeployment(image=IMAGE, replicas=1, template_hash=spec.template_hash)
    deployment = build_deployment(body, spec, want)
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == ["busybox:1", IMAGE]
    assert body["spec"]["template"]["spec"]["containers"][1].get("image") is None
    assert {"name": "APP_IMAGE", "value": IMAGE} in containers[1]["env"]
    assert "env" not in containers[0]


def test_deployment_keeps_an_app_image_variable_the_template_sets() -> None:
    body = release()
    body["spec"]["template"]["spec"]["containers"][1]["env"] = [{"name": "APP_IMAGE", "value": "x"}]
    spec = parsed(body)
    want = EnsureDeployment(image=IMAGE, replicas=1, template_hash=spec.template_hash)
    container = build_deployment(body, spec, want)["spec"]["template"]["spec"]["containers"][1]
    assert container["env"] == [{"name": "APP_IMAGE", "value": "x"}]


def test_deployment_is_owned_labelled_and_selects_its_pods() -> None:
    body = release()
    spec = parsed(body)
    deployment = build_deployment(body, spec, EnsureDeployment(IMAGE, 2, spec.template_hash))
    meta = deployment["metadata"]
    assert (meta["name"], meta["namespace"]) == ("shop", "web")
    owner = meta["ownerReferences"][0]
    assert owner["kind"] == "Release"
    assert (owner["uid"], owner["controller"]) == ("u-1", True)
    for key in ("name", "instance", "managed-by", "part-of"):
        assert meta["labels"][f"app.kubernetes.io/{key}"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pod_labels["tier"] == "web"
    assert deployment["spec"]["replicas"] == 2
    assert meta["annotations"][TEMPLATE_HASH_ANNOTATION] == spec.template_hash


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("Recreate", {"type": "Recreate"}),
        (
            "RollingUpdate",
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        ),
    ],
)
def test_deployment_strategy_follows_the_spec(strategy: str, expected: dict[str, Any]) -> None:
    body = release(strategy=strategy)
    spec = parsed(body)
    deployment = build_deployment(body, spec, EnsureDeployment(IMAGE, 1, spec.template_hash))
    assert deployment["spec"]["strategy"] == expected


def test_deployment_progress_deadline_is_the_readiness_timeout() -> None:
    body = release(readiness={"timeoutSeconds": 45})
    spec = parsed(body)
    deployment = build_deployment(body, spec, EnsureDeployment(IMAGE, 1, spec.template_hash))
    assert deployment["spec"]["progressDeadlineSeconds"] == 45


def test_builders_do_not_mutate_the_release() -> None:
    body = release()
    before = copy.deepcopy(body)
    spec = parsed(body)
    build_deployment(body, spec, EnsureDeployment(IMAGE, 1, spec.template_hash))
    assert body == before


def snapshot_request(node: str = "node-a") -> JobRequest:
    """A snapshot JobRequest as the plan makes one."""
    return JobRequest(
        name="shop-snapshot-abc",
        module="gitops.snapshot",
        args=("--database", "/data/myfoodbudget.db"),
        claim_name="data",
        node_name=node,
    )


def test_job_runs_the_module_in_the_operator_image_on_the_claim() -> None:
    body = release()
    job = build_job(body, parsed(body), snapshot_request(), "ghcr.io/o/op:1", 600)
    assert job["metadata"]["name"] == "shop-snapshot-abc"
    assert job["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "ghcr.io/o/op:1"
    assert container["command"] == ["python", "-m", "gitops.snapshot"]
    assert container["args"][:2] == ["--database", "/data/myfoodbudget.db"]
    assert container["args"][2:] == ["--termination-log", container["terminationMessagePath"]]
    assert container["volumeMounts"] == [{"name": "data", "mountPath": "/data"}]
    assert pod["volumes"][0]["persistentVolumeClaim"] == {"claimName": "data"}
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"


def test_job_is_pinned_non_root_and_never_retried() -> None:
    body = release()
    job = build_job(body, parsed(body), snapshot_request(), "op:1", 120)
    pod = job["spec"]["template"]["spec"]
    assert pod["nodeName"] == "node-a"
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["fsGroup"]) == (1000, 2000)
    assert pod["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["activeDeadlineSeconds"] == 120
    labels = job["metadata"]["labels"]
    assert labels["app.kubernetes.io/instance"] == "shop"
    assert not selector_labels(body).items() <= labels.items()


def test_job_without_a_known_node_is_left_to_the_scheduler() -> None:
    body = release()
    job = build_job(body, parsed(body), snapshot_request(node=""), "op:1", 120)
    assert "nodeName" not in job["spec"]["template"]["spec"]


def test_a_backup_job_gets_the_secret_as_files_and_a_scratch_folder_never_values() -> None:
    from gitops.release.backup.jobs import build_backup_request
    from gitops.release.spec import ReleaseSpec

    body = release()
    offsite = {"repository": "sftp:me@nas:/b", "secretRef": {"name": "restic"}}
    spec = ReleaseSpec.from_dict({**body["spec"], "backup": {"offsite": offsite}}, name="shop")
    request = build_backup_request(spec, "scheduled", "shop-backup-1", "node-a", "--image", "i")
    job = build_job(body, spec, request, "op:1", 600)
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["python", "-m", "gitops.backup"]
    assert container["args"][0] == "scheduled"
    assert "sftp:me@nas:/b" in container["args"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["restic"]["secret"] == {
        "secretName": "restic",
        "defaultMode": 0o440,
        "optional": True,
    }
    assert volumes["scratch"] == {"name": "scratch", "emptyDir": {}}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["restic"] == {"name": "restic", "mountPath": "/etc/restic", "readOnly": True}
    assert container["env"] == [{"name": "TMPDIR", "value": "/scratch"}]
    assert "secretKeyRef" not in str(job)  # values only as files, never in env or args
    assert job["metadata"]["labels"]["gitops.myfoodbudget.dev/job"] == "backup"
    assert container["resources"]["limits"]["memory"] == "512Mi"
