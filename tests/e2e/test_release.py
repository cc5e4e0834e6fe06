"""The Release controller end to end: the operator process, the real app, bad test images."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from release_app import Webhook, answers, http_get, seed_users, users_present, version_of
from release_objects import (
    CRASH,
    GOOD,
    GOOD_NEXT,
    HEAVY,
    MEMORY_LIMIT,
    MIGRATE,
    MISSING,
    claim,
    node_port_service,
    release_object,
)
from release_support import Api, Operator, deploy_good, wait_for
from support.reliability import bad_input

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NO_PREFLIGHT = {"enabled": False}


def never_changes(api: Api, name: str, seconds: float) -> bool:
    """True when the Release starts no new rollout and the Deployment keeps its image."""
    count, image = api.status(name).get("rolloutCount"), api.deployment_image(name)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if api.status(name).get("rolloutCount") != count or api.deployment_image(name) != image:
            return False
        time.sleep(0.2)
    return True


def table_cells(table: str) -> dict[str, str]:
    """The first row of a `kubectl get` table by column, cut where the header's columns start
    (an empty cell stays empty)."""
    header, row = table.splitlines()[:2]
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
    names = re.findall(r"\S+(?: \S+)*", header)
    ends = [*starts[1:], None]
    return {n: row[a:b].strip() for n, a, b in zip(names, starts, ends, strict=True)}


def test_good_image_is_rolled_out_then_upgraded_with_a_snapshot(
    api: Api, operator: Operator
) -> None:
    url = deploy_good(api, "good")
    users = seed_users(url)
    first = api.kubectl("describe", "release", "good").stdout
    assert "History:" in first
    assert "<nil>" not in first  # nothing to snapshot on a first deploy: no Snapshot line
    waited = api.kubectl("wait", "--for=condition=Ready", "release/good", "--timeout=30s")
    assert waited.returncode == 0, waited.stderr
    deployment = api.apps.read_namespaced_deployment("good", api.ns)
    assert deployment.metadata.owner_references[0].kind == "Release"
    assert deployment.metadata.labels["app.kubernetes.io/managed-by"] == "myfoodbudget-operator"

    api.patch_release("good", {"spec": {"image": GOOD_NEXT}})
    status = wait_for(
        lambda: (
            (s := api.status("good")).get("image") == GOOD_NEXT and s.get("phase") == "Ready" and s
        ),
        60,
        "the upgrade to become Ready",
    )
    assert status["previousImage"] == GOOD
    assert status["lastSnapshot"]["file"].endswith("-1.0.0.db")
    assert len(status["lastSnapshot"]["sha256"]) == 64
    assert status["history"][0]["image"] == GOOD_NEXT
    assert api.deployment_image("good") == GOOD_NEXT
    assert users_present(url, users)
    reasons = {reason for _, reason in api.events("good")}
    assert {"SnapshotTaken", "RolloutSucceeded"} <= reasons
    table = api.kubectl("get", "releases").stdout
    header, row = table.splitlines()[:2]
    assert header.split() == [
        "NAME",
        "IMAGE",
        "SERVING",
        "PHASE",
        "SNAPSHOT",
        "BACKUP",
        "VERIFIED",
        "AGE",
    ]
    snapshot = status["lastSnapshot"]["file"]
    assert row.split()[:5] == [
        "good", "myfoodbudget:1.1.0", "myfoodbudget:1.1.0", "Ready", snapshot
    ]  # fmt: skip
    wide = table_cells(api.kubectl("get", "releases", "-o", "wide").stdout)
    assert list(wide)[8:11] == ["SPEC IMAGE", "SERVING IMAGE", "SNAPSHOT AGE"]
    assert (wide["SPEC IMAGE"], wide["SERVING IMAGE"]) == (GOOD_NEXT, GOOD_NEXT)
    assert wide["SNAPSHOT AGE"][-1] in "smhd"  # an age, as kubectl prints one
    assert wide["SNAPSHOT"] == snapshot
    assert 'gitops_snapshots_total{outcome="succeeded"}' in operator.metrics()


@pytest.mark.parametrize(
    ("bad", "restore"),
    [(CRASH, "RestoreSkipped"), (MISSING, "RestoreSkipped"), (MIGRATE, "RestoreCompleted")],
    ids=["crash-at-start", "missing-from-catalog", "migrates-then-never-ready"],
)
def test_bad_image_is_rolled_back_and_not_retried(
    api: Api, operator: Operator, release_webhook: Webhook, bad: str, restore: str
) -> None:
    webhook = release_webhook
    name = f"bad-{bad.split('/')[-1].split(':')[0]}"[:30]
    url = deploy_good(api, name, preflight=NO_PREFLIGHT)  # the rollback path itself
    users = seed_users(url)
    api.patch_release(name, {"spec": {"image": bad}})
    status = api.wait_phase(name, "RolledBack", timeout=90)
    assert (status["image"], status["failedImage"]) == (GOOD, bad)
    assert api.deployment_image(name) == GOOD
    version = wait_for(lambda: version_of(url), 30, f"{name} serving /version again")
    assert "schema_version" in version
    assert "bad" not in version  # the real app answers, not the migrating image
    assert version["image"] == GOOD  # the previous version serves again
    assert users_present(url, users)
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert degraded["status"] == "True"
    events = api.events(name)
    assert ("Warning", "ReadinessFailed") in events
    assert ("Warning", "RolledBack") in events
    assert ("Normal", restore) in events
    assert never_changes(api, name, 2.0), "the failed image was rolled out again"
    described = api.kubectl("describe", "release", name).stdout
    assert "RolledBack" in described
    assert bad in described
    # Ready means spec.image serves, and it does not; Serving: the previous version does.
    serving = api.kubectl("wait", "--for=condition=Serving", f"release/{name}", "--timeout=30s")
    assert serving.returncode == 0, serving.stderr
    ready = api.kubectl("wait", "--for=condition=Ready", f"release/{name}", "--timeout=1s")
    assert ready.returncode != 0
    assert f"{GOOD} serves; {bad} was rolled back: " in " ".join(described.split())
    if bad == MIGRATE:  # the database the bad version migrated is kept beside the snapshots
        assert "failed-" in described
    assert 'gitops_rollbacks_total{reason="ReadinessFailed"}' in operator.metrics()
    notes = wait_for(
        lambda: [n for n in webhook.received if n["release"] == f"{api.ns}/{name}"],
        10,
        "a rollback notification",
    )
    assert (notes[0]["phase"], notes[0]["failedImage"]) == ("RolledBack", bad)


@pytest.mark.usefixtures("operator")
def test_a_release_that_outgrows_its_memory_limit_is_oomkilled_and_rolled_back(api: Api) -> None:
    """The real app image, first filling more memory than the limit of its container allows."""
    if api.cluster.is_sandbox and api.cluster.runtime != "docker":
        pytest.skip("the process runtime enforces no memory limit (--sandbox-runtime docker)")
    name = "outgrows-memory"
    template = release_object(name, GOOD)["spec"]["template"]
    template["spec"]["containers"][0]["resources"] = {"limits": {"memory": MEMORY_LIMIT}}
    url = deploy_good(api, name, preflight=NO_PREFLIGHT, template=template)  # the rollback path
    api.patch_release(name, {"spec": {"image": HEAVY}})
    status = api.wait_phase(name, "RolledBack", timeout=90)
    assert (status["image"], status["failedImage"]) == (GOOD, HEAVY)
    assert "last terminated OOMKilled" in json.dumps(status), status
    version = wait_for(lambda: version_of(url), 30, f"{name} serving /version again")
    assert version["image"] == GOOD  # the previous version runs within the same limit
    assert "last terminated OOMKilled" in api.kubectl("describe", "release", name).stdout


@pytest.mark.usefixtures("operator")
def test_failed_image_is_retried_only_when_asked(api: Api) -> None:
    url = deploy_good(api, "retry")
    api.patch_release("retry", {"spec": {"image": CRASH}})
    first = api.wait_phase("retry", "Failed")  # stopped by its preflight
    assert api.apply(release_object("retry", CRASH)).returncode == 0  # a sync re-applies it
    assert never_changes(api, "retry", 2.0)
    api.patch_release(
        "retry", {"metadata": {"annotations": {"gitops.myfoodbudget.dev/retry": "1"}}}
    )
    wait_for(
        lambda: api.status("retry").get("rolloutCount") == first["rolloutCount"] + 1,
        30,
        "a retry of the failed image",
    )
    again = wait_for(
        lambda: (s := api.status("retry"))["phase"] == "Failed" and not s.get("rollout") and s,
        30,
        "the retry stopped by its preflight again",
    )
    assert (again["failedImage"], again["reason"]) == (CRASH, "PreflightFailed")
    api.patch_release("retry", {"spec": {"image": GOOD_NEXT}})
    wait_for(lambda: api.status("retry").get("image") == GOOD_NEXT, 60, "the next good image")
    wait_for(lambda: answers(f"{url}/version"), 30, "the app serving")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"readiness": {"timeoutSeconds": -5}}, "spec.readiness.timeoutSeconds"),
        ({"snapshot": {"keep": 3}}, "claimName"),
        ({"strategy": "BlueGreen"}, "spec.strategy"),
    ],
    ids=["negative-timeout", "missing-claim", "unknown-strategy"],
)
def test_schema_refuses_invalid_releases(api: Api, change: dict[str, Any], field: str) -> None:
    body = release_object("refused", GOOD)
    body["spec"].update(change)
    refused = api.apply(body)
    absent = api.kubectl("get", "release", "refused").returncode != 0
    given = f"a new Release with {json.dumps(change)}"
    bad_input(
        "Release spec (schema)", given, refused.stderr.strip(), unchanged=absent, namespace=api.ns
    )
    assert refused.returncode != 0
    assert field in refused.stderr
    assert absent


@pytest.mark.usefixtures("operator")
def test_unknown_container_fails_naming_the_field(api: Api) -> None:
    api.apply(claim("nocontainer-data"), release_object("nocontainer", GOOD, container="web"))
    status = api.wait_phase("nocontainer", "Failed", timeout=30)
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert degraded["status"] == "True"
    assert "spec.container" in degraded["message"]
    assert api.deployment_image("nocontainer") is None
    assert api.jobs("nocontainer") == []


@pytest.mark.usefixtures("operator")
def test_missing_claim_stops_before_anything_is_touched(api: Api) -> None:
    api.apply(node_port_service("noclaim"), release_object("noclaim", GOOD))
    status = wait_for(
        lambda: (s := api.status("noclaim")).get("reason") == "ClaimNotFound" and s,
        30,
        "ClaimNotFound",
    )
    untouched = api.deployment_image("noclaim") is None and api.jobs("noclaim") == []
    bad_input(
        "Release spec (operator)",
        "spec.snapshot.claimName naming no PVC",
        status["message"],
        unchanged=untouched,
        namespace=api.ns,
    )
    assert "spec.snapshot.claimName" in status["message"]
    assert api.deployment_image("noclaim") is None
    assert api.jobs("noclaim") == []
    api.apply(claim("noclaim-data"))
    api.wait_phase("noclaim", "Ready", timeout=60)


def test_operator_log_is_json_and_names_each_release(api: Api, operator: Operator) -> None:
    deploy_good(api, "logged")
    lines = [line for line in Path(operator.log).read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert all("message" in record for record in records)
    steps = [r for r in records if r.get("reason") and r.get("object", {}).get("name") == "logged"]
    assert [r["reason"] for r in steps] == ["RolloutStarted", "RolloutSucceeded"]
    assert steps[0]["object"]["kind"] == "Release"


@pytest.mark.usefixtures("operator")
def test_deleting_a_release_removes_what_it_owns(api: Api) -> None:
    deploy_good(api, "doomed")
    deleted = api.kubectl("delete", "release", "doomed", "--timeout=30s")
    assert deleted.returncode == 0, deleted.stderr
    wait_for(lambda: api.deployment_image("doomed") is None, 30, "the Deployment being collected")


@pytest.mark.usefixtures("operator")
def test_rolling_update_keeps_serving_through_a_bad_release(api: Api) -> None:
    spec = {"strategy": "RollingUpdate", "rollback": {"restoreDatabase": "Never"}}
    url = deploy_good(api, "online", preflight=NO_PREFLIGHT, **spec)
    selector = "app.kubernetes.io/instance=online"
    (serving,) = api.core.list_namespaced_pod(api.ns, label_selector=selector).items
    api.patch_release("online", {"spec": {"image": CRASH}})
    answers = []
    while api.status("online").get("phase") != "RolledBack":
        answers.append(http_get(f"{url}/version")[0])
        assert len(answers) < 600, "no rollback within 60s"
        time.sleep(0.1)
    assert set(answers) == {200}
    pods = api.core.list_namespaced_pod(api.ns, label_selector=selector).items
    assert serving.metadata.uid in {p.metadata.uid for p in pods}
    assert api.status("online")["lastSnapshot"]["image"] == GOOD


@pytest.mark.usefixtures("operator")
def test_failed_required_snapshot_rolls_nothing_out(api: Api) -> None:
    spec = {"snapshot": {"claimName": "nosnap-data", "databasePath": "not-there.db"}}
    url = deploy_good(api, "nosnap", preflight=NO_PREFLIGHT, **spec)  # the snapshot step itself
    api.patch_release("nosnap", {"spec": {"image": GOOD_NEXT}})
    status = api.wait_phase("nosnap", "Failed", timeout=60)
    assert status["reason"] == "SnapshotFailed"
    assert "not-there.db" in status["message"]
    assert (status["image"], status["failedImage"]) == (GOOD, GOOD_NEXT)
    wait_for(lambda: api.deployment_image("nosnap") == GOOD, 10, "the old image kept")
    wait_for(lambda: answers(f"{url}/version"), 30, "the old version serving again")
    assert ("Warning", "SnapshotFailed") in api.events("nosnap")
