"""Bad Release specs given to a serving Release: refused with a message, and nothing changes.

One Release serves the app for the module. Each case patches its spec with kubectl as a user
would. Where the CRD's schema refuses the patch, the message is kubectl's and the Release keeps
its spec, generation and status. Where the API accepts it and the operator refuses
it, the message is the Release's status (InvalidSpec). Either way the Deployment keeps its
image and generation, its pods stay the same pods, no Job starts and every file on the claim
keeps its content; the patch is then undone.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from backup_support import on_claim
from gitops.images import IMAGE_MESSAGE
from release_objects import GOOD
from release_support import Api, deploy_good, wait_for
from support.reliability import bad_input

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NAME = "steady"
SELECTOR = f"app.kubernetes.io/instance={NAME},app.kubernetes.io/component=web"

# (what the user gave, the patch of spec, a piece of the message kubectl shows)
SCHEMA_REFUSED = [
    ("replicas -1", {"replicas": -1}, "spec.replicas"),
    ("replicas 1000", {"replicas": 1000}, "spec.replicas"),
    ("readiness.timeoutSeconds 0", {"readiness": {"timeoutSeconds": 0}}, "timeoutSeconds"),
    ("readiness.bakeSeconds 10^9", {"readiness": {"bakeSeconds": 10**9}}, "bakeSeconds"),
    ("readiness.errorRate 2", {"readiness": {"errorRate": 2}}, "errorRate"),
    ("readiness.maxRestarts -1", {"readiness": {"maxRestarts": -1}}, "maxRestarts"),
    ("container 'Web_1'", {"container": "Web_1"}, "spec.container"),
    ("verify path without /", {"verify": [{"path": "healthz"}]}, "spec.verify[0].path"),
    ("verify expectStatus 700", {"verify": [{"path": "/", "expectStatus": 700}]}, "expectStatus"),
    ("verify entry without path", {"verify": [{"expectStatus": 200}]}, "path"),
    ("snapshot.keep 0", {"snapshot": {"keep": 0}}, "spec.snapshot.keep"),
    ("snapshot.databasePath ../x.db", {"snapshot": {"databasePath": "../x.db"}}, "databasePath"),
    ("snapshot.claimName removed", {"snapshot": {"claimName": None}}, "claimName"),
    ("rollback.restoreDatabase Sometimes", {"rollback": {"restoreDatabase": "Sometimes"}},
     "restoreDatabase"),
    ("backup.keep.daily -1", {"backup": {"keep": {"daily": -1}}}, "spec.backup.keep.daily"),
    ("backup.diskWarningPercent 0", {"backup": {"diskWarningPercent": 0}}, "diskWarningPercent"),
    ("backup.offsite without secretRef", {"backup": {"offsite": {"repository": "sftp:u@h:/b"}}},
     "secretRef"),
    ("backup.offsite secretRef 'Bad_Name'",
     {"backup": {"offsite": {"repository": "sftp:u@h:/b", "secretRef": {"name": "Bad_Name"}}}},
     "secretRef.name"),
]  # fmt: skip

# (what the user gave, the patch of spec, a piece of the status message the operator writes)
OPERATOR_REFUSED = [
    ("backup.schedule 'every day at 3'", {"backup": {"schedule": "every day at 3"}},
     "spec.backup.schedule"),
    ("backup.schedule '61 * * * *'", {"backup": {"schedule": "61 * * * *"}},
     "spec.backup.schedule"),
    ("backup.timeZone Mars/Olympus", {"backup": {"timeZone": "Mars/Olympus"}},
     "spec.backup.timeZone"),
    ("backup.keep that keeps nothing",
     {"backup": {"keep": {"last": 0, "daily": 0, "weekly": 0, "monthly": 0}}}, "keeps nothing"),
    ("backup.offsite.repository ftp://nas/b",
     {"backup": {"offsite": {"repository": "ftp://nas/b", "secretRef": {"name": "restic"}}}},
     "spec.backup.offsite.repository"),
    ("container naming no container of the template", {"container": "web"}, "spec.container"),
]  # fmt: skip


def claim_state(api: Api) -> list[str]:
    """'sha256  path' of every file on the claim (the database's -shm left out), read by a pod."""
    script = "cd /data && find . -type f ! -name '*-shm' | sort | xargs -r sha256sum"
    lines = on_claim(api, f"{NAME}-data", script).splitlines()
    assert lines, "the claim holds no file: the database is missing"
    return lines


def workload(api: Api) -> dict[str, Any]:
    """What the Release runs: the Deployment's image and generation, its pods, the Jobs."""
    deployment = api.apps.read_namespaced_deployment(NAME, api.ns)
    pods = api.core.list_namespaced_pod(api.ns, label_selector=SELECTOR).items
    return {
        "image": api.deployment_image(NAME),
        "deployment generation": deployment.metadata.generation,
        "pods": sorted(p.metadata.uid for p in pods),
        "jobs": sorted(api.jobs(NAME)),
    }


def release_state(api: Api) -> dict[str, Any]:
    """The Release as stored: its spec and generation, and what its status says (a status the
    operator refreshes on its own, with the same words, is no change)."""
    release = api.release(NAME)
    status = release.get("status") or {}
    said = {k: status.get(k) for k in ("phase", "reason", "message", "image", "observedGeneration")}
    return {"generation": release["metadata"]["generation"], "spec": release["spec"], **said}


@pytest.fixture(scope="module")
def serving(release_api: Api, release_operator: Any) -> Api:  # noqa: ARG001  it must run
    """The module's Release, Ready and serving, with its spec as created."""
    deploy_good(release_api, NAME)
    return release_api


@pytest.fixture
def restored(serving: Api) -> Iterator[Api]:
    """The serving Release; its spec is put back after the test, and it must be Ready again."""
    spec = copy.deepcopy(serving.release(NAME)["spec"])
    yield serving
    body = serving.release(NAME)
    body["spec"] = spec
    serving.custom.replace_namespaced_custom_object(
        "gitops.myfoodbudget.dev", "v1alpha1", serving.ns, "releases", NAME, body
    )
    wait_for(lambda: serving.status(NAME).get("phase") == "Ready", 30, "Ready again")


def settled(api: Api) -> dict[str, Any]:
    """The Release's stored state once two reads in a row agree (the operator is idle)."""
    return wait_for(
        lambda: (first := release_state(api)) == release_state(api) and first, 10, "idle"
    )


def merge_patch(api: Api, change: dict[str, Any]) -> Any:
    """`kubectl patch release steady --type merge` with a change of spec."""
    patch = json.dumps({"spec": change})
    return api.kubectl("patch", "release", NAME, "--type", "merge", "-p", patch)


def refused_by_the_operator(api: Api, change: dict[str, Any], given: str) -> dict[str, Any]:
    """Patch the spec (the API takes it); wait for InvalidSpec; the workload and the claim must
    be as they were. Returns the status."""
    running, files = workload(api), claim_state(api)
    applied = merge_patch(api, change)
    assert applied.returncode == 0, applied.stderr
    status = wait_for(
        lambda: (s := api.status(NAME)).get("reason") == "InvalidSpec" and s, 30, "InvalidSpec"
    )
    unchanged = (workload(api), claim_state(api)) == (running, files)
    message = status["message"]
    bad_input("Release spec (operator)", given, message, unchanged=unchanged, namespace=api.ns)
    assert unchanged
    return status


def each(table: list[tuple[str, dict[str, Any], str]]) -> pytest.MarkDecorator:
    """Parametrize over a table of cases, each named by what the user gave."""
    return pytest.mark.parametrize(("given", "change", "said"), table, ids=[c[0] for c in table])


def refused_by_the_schema(api: Api, change: dict[str, Any], given: str) -> str:
    """Patch the spec; kubectl must fail and the Release, the workload and the claim stay as
    they were. Returns what kubectl printed."""
    before = {"the Release": settled(api), "the workload": workload(api),
              "the claim": claim_state(api)}  # fmt: skip
    refused = merge_patch(api, change)
    message = refused.stderr.strip()
    after = {"the Release": release_state(api), "the workload": workload(api),
             "the claim": claim_state(api)}  # fmt: skip
    changed = {part: (before[part], after[part]) for part in before if before[part] != after[part]}
    bad_input("Release spec (schema)", given, message, unchanged=not changed, namespace=api.ns)
    assert refused.returncode != 0, refused.stdout
    assert "is invalid" in message
    assert not changed, f"changed (before, after): {changed}"
    return message


@each(SCHEMA_REFUSED)
def test_the_schema_refuses_and_nothing_changes(
    serving: Api, given: str, change: dict[str, Any], said: str
) -> None:
    assert said in refused_by_the_schema(serving, change, given)


@pytest.mark.parametrize(
    ("given", "image"),
    [
        ("spec.image with an uppercase path", "ghcr.io/Owner/myfoodbudget:1"),
        ("spec.image with an empty tag", "ghcr.io/owner/myfoodbudget:"),
        ("spec.image with a digest too short", "ghcr.io/owner/myfoodbudget@sha256:abc"),
    ],
    ids=["uppercase", "empty-tag", "short-digest"],
)
def test_a_malformed_image_reference_is_refused(restored: Api, given: str, image: str) -> None:
    """The CRD's CEL rule refuses it on a cluster that evaluates CEL (k3s); the sandbox does
    not (docs/sandbox.md), and there the operator refuses it with the same words."""
    if restored.cluster.is_sandbox:
        message = refused_by_the_operator(restored, {"image": image}, given)["message"]
    else:
        message = refused_by_the_schema(restored, {"image": image}, given)
    assert IMAGE_MESSAGE in message
    assert restored.deployment_image(NAME) == GOOD


@each(OPERATOR_REFUSED)
def test_the_operator_refuses_and_nothing_runs_differently(
    restored: Api, given: str, change: dict[str, Any], said: str
) -> None:
    api = restored
    status = refused_by_the_operator(api, change, given)
    assert said in status["message"]
    assert status["message"].endswith("fix the Release, nothing was changed")
    assert status["phase"] == "Failed"
    assert ("Warning", "InvalidSpec") in api.events(NAME)
    assert api.deployment_image(NAME) == GOOD


def test_a_preflight_without_a_data_volume_is_refused(restored: Api) -> None:
    api = restored
    template = copy.deepcopy(api.release(NAME)["spec"]["template"])
    for container in template["spec"]["containers"]:
        container.pop("volumeMounts", None)
    change = {"template": template, "preflight": {"enabled": True}}
    status = refused_by_the_operator(api, change, "preflight on, the container mounting no claim")
    assert "spec.preflight" in status["message"]
    assert "spec.preflight.enabled to false" in status["message"]
