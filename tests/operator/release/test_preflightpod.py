"""The pure builder of the preflight's pod: the new image on the copy, selected by nothing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from gitops.release.actions import EnsureDeployment, PodRequest
from gitops.release.builders import build_deployment
from gitops.release.preflightpod import build_preflight_pod
from gitops.release.spec import ReleaseSpec

ROOT = Path(__file__).resolve().parents[3]
IMAGE = "ghcr.io/owner/myfoodbudget:sha-2"
WANT = PodRequest(
    "myfoodbudget-preflight-3-1a2b3", IMAGE, "preflight/myfoodbudget-preflight-3-1a2b3", "n1", 180
)


def base_release() -> dict[str, Any]:
    """The Release of kustomize/base, as the API returns it."""
    body = yaml.safe_load((ROOT / "kustomize" / "base" / "release.yaml").read_text())
    body["metadata"].update(namespace="myfoodbudget", uid="u-1")
    init = {
        "name": "warm-up",
        "image": "busybox:1",
        "volumeMounts": [{"name": "data", "mountPath": "/cache", "subPath": "cache"}],
    }
    body["spec"]["template"]["spec"]["initContainers"] = [init]
    body["spec"]["template"]["metadata"]["annotations"] = {"note": "kept"}
    return body


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether a matchLabels selector selects these labels."""
    return all(labels.get(key) == value for key, value in selector.items())


def test_nothing_that_selects_the_apps_pods_selects_the_preflight_pod() -> None:
    body = base_release()
    spec = ReleaseSpec.from_dict(body["spec"], name="myfoodbudget")
    pod = build_preflight_pod(body, spec, WANT)
    labels = pod["metadata"]["labels"]
    deployment = build_deployment(body, spec, EnsureDeployment(IMAGE, 1, spec.template_hash))
    service = yaml.safe_load((ROOT / "kustomize" / "base" / "service.yaml").read_text())
    policies = yaml.safe_load_all((ROOT / "kustomize" / "base" / "networkpolicy.yaml").read_text())
    web, preflight = (p["spec"]["podSelector"]["matchLabels"] for p in policies)
    e2e_service = {"app.kubernetes.io/instance": "myfoodbudget"}  # tests/e2e's NodePort Service
    for selector in (
        deployment["spec"]["selector"]["matchLabels"],
        service["spec"]["selector"],
        web,
        e2e_service,
    ):
        assert not selects(selector, labels), selector
    assert selects(preflight, labels)  # its own NetworkPolicy: DNS out, nothing in
    assert selects(
        deployment["spec"]["selector"]["matchLabels"],
        deployment["spec"]["template"]["metadata"]["labels"],
    )
    assert labels["gitops.myfoodbudget.dev/job"] == "preflight"
    assert labels["gitops.myfoodbudget.dev/release"] == "myfoodbudget"


def test_the_preflight_pod_runs_the_new_image_once_on_its_copy_on_the_apps_node() -> None:
    body = base_release()
    before = copy.deepcopy(body)
    spec = ReleaseSpec.from_dict(body["spec"], name="myfoodbudget")
    pod = build_preflight_pod(body, spec, WANT)
    assert body == before  # the Release is not changed
    meta, pod_spec = pod["metadata"], pod["spec"]
    assert (meta["name"], meta["namespace"]) == (WANT.name, "myfoodbudget")
    assert meta["ownerReferences"][0]["uid"] == "u-1"
    assert meta["annotations"] == {"note": "kept"}
    assert (pod_spec["restartPolicy"], pod_spec["activeDeadlineSeconds"], pod_spec["nodeName"]) == (
        "Never", 180, "n1",
    )  # fmt: skip
    (app,) = pod_spec["containers"]
    assert app["image"] == IMAGE
    assert {"name": "APP_IMAGE", "value": IMAGE} in app["env"]
    assert app["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert (
        app["readinessProbe"] == body["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    )
    mounts = {m["mountPath"]: m for m in app["volumeMounts"]}
    assert mounts["/data"]["subPath"] == WANT.folder  # DATABASE_URL finds the copy there
    assert "subPath" not in mounts["/tmp"]  # other volumes are the template's
    (init,) = pod_spec["initContainers"]
    assert init["volumeMounts"][0]["subPath"] == f"{WANT.folder}/cache"
    assert pod_spec["securityContext"] == body["spec"]["template"]["spec"]["securityContext"]
