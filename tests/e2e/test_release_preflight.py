"""The preflight and the bake window end to end: bad images caught before they serve and
after, a good one let through at the cost of their time only."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import pytest
from release_app import Poller, answers, http_get, seed_users, users_present, version_of
from release_objects import GOOD, GOOD_NEXT, MIGRATION_FAILS, SERVES_500, release_object
from release_support import Api, Operator, deploy_good, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PREFLIGHT_LABEL = "gitops.myfoodbudget.dev/job=preflight"
SLACK_SECONDS = 5.0  # two whole-second timestamps and a reconcile or two of noise


def with_secret_key(api: Api, name: str) -> tuple[str, dict[str, Any]]:
    """A Secret holding the app's SECRET_KEY, and the template taking it from there."""
    # not a canary: the image made to fail prints its SECRET_KEY on purpose (an app that leaks
    # its own secret), so its log and its pod's termination message hold it by design; what
    # the test checks is that the Release's status blanks it
    value = secrets.token_hex(24)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": f"{name}-secrets"},
        "stringData": {"secret-key": value},
    }
    assert api.apply(secret).returncode == 0
    template = release_object(name, GOOD)["spec"]["template"]
    env = template["spec"]["containers"][0]["env"]
    key = {"secretKeyRef": {"name": f"{name}-secrets", "key": "secret-key"}}
    template["spec"]["containers"][0]["env"] = [
        {"name": "SECRET_KEY", "valueFrom": key} if item["name"] == "SECRET_KEY" else item
        for item in env
    ]
    return value, template


def serving_pod(api: Api, name: str) -> str:
    """The uid of the one pod of the Release's Deployment (its selector, not the Jobs')."""
    selector = f"app.kubernetes.io/name={name},app.kubernetes.io/instance={name}"
    (pod,) = api.core.list_namespaced_pod(api.ns, label_selector=selector).items
    return str(pod.metadata.uid)


def preflight_pods(api: Api) -> list[str]:
    """The preflight pods left in the namespace."""
    found = api.core.list_namespaced_pod(api.ns, label_selector=PREFLIGHT_LABEL).items
    return [p.metadata.name for p in found]


def messages(api: Api, name: str) -> list[str]:
    """The messages of the Events on the Release."""
    selector = f"involvedObject.name={name},involvedObject.kind=Release"
    return [
        e.message for e in api.core.list_namespaced_event(api.ns, field_selector=selector).items
    ]


@pytest.mark.usefixtures("operator")
def test_a_failing_migration_is_stopped_by_the_preflight_with_no_failed_request(api: Api) -> None:
    name = "mfail"
    secret, template = with_secret_key(api, name)
    url = deploy_good(api, name, template=template)
    users = seed_users(url)
    pod, schema = serving_pod(api, name), version_of(url)["schema_version"]
    with Poller(f"{url}/version") as client:
        api.patch_release(name, {"spec": {"image": MIGRATION_FAILS}})
        status = api.wait_phase(name, "Failed", timeout=90)
        wait_for(lambda: len(client.answers) > 20, 10, "more answers after the release")
    assert client.failures == []
    assert client.statuses() == {200}
    assert {json.loads(body)["image"] for _, body in client.answers} == {GOOD}
    assert (status["reason"], status["image"], status["failedImage"]) == (
        "PreflightFailed", GOOD, MIGRATION_FAILS,
    )  # fmt: skip
    record = status["preflight"]
    assert (record["outcome"], record["image"]) == ("Failed", MIGRATION_FAILS)
    assert record["schemaVersion"] == schema + 1  # the copy was left half-migrated
    assert record["durationSeconds"] > 0
    assert "migration failed half-way: no such table: pantry_item" in status["message"]
    assert "could not be removed" not in status["message"]  # its copy is gone
    assert (status["history"][0]["outcome"], status["history"][0]["preflight"]) == (
        "Failed", "Failed",
    )  # fmt: skip
    assert serving_pod(api, name) == pod  # the serving version was never stopped
    assert version_of(url)["schema_version"] == schema
    assert users_present(url, users)
    assert api.deployment_image(name) == GOOD
    assert preflight_pods(api) == []
    events = api.events(name)
    assert ("Normal", "PreflightStarted") in events
    assert ("Warning", "PreflightFailed") in events
    described = api.kubectl("describe", "release", name).stdout
    assert "Preflight:" in described
    assert "Outcome:" in described
    everything = [described, json.dumps(status), *messages(api, name)]
    assert not [text for text in everything if secret in text], "a Secret's value was shown"
    assert "SECRET_KEY=[redacted]" in status["message"]  # what the image printed, blanked
    started = api.status(name)["rolloutCount"]
    wait_for(lambda: api.status(name)["phase"] == "Failed", 2, "staying Failed")
    assert api.status(name)["rolloutCount"] == started  # not retried


def test_an_image_answering_500_is_rolled_back_by_the_bake_window(
    api: Api, operator: Operator
) -> None:
    name = "bake500"
    readiness = {"timeoutSeconds": 30, "maxRestarts": 1, "bakeSeconds": 30, "errorRate": 0.05}
    url = deploy_good(api, name, readiness=readiness)
    with Poller(f"{url}/auth/login") as client:  # a page: it counts in the error ratio
        api.patch_release(name, {"spec": {"image": SERVES_500}})
        status = api.wait_phase(name, "RolledBack", timeout=90)
    assert 500 in client.statuses(), "the bad version never answered: nothing was measured"
    assert (status["image"], status["failedImage"]) == (GOOD, SERVES_500)
    bake = status["bake"]
    assert (bake["outcome"], bake["image"]) == ("Failed", SERVES_500)
    assert "5xx ratio" in bake["message"]
    assert "above readiness.errorRate 0.05" in bake["message"]
    assert bake["seconds"] < 30  # rolled back as soon as the ratio was seen, not at the end
    assert status["preflight"]["outcome"] == "Passed"  # ready on the copy: it got this far
    entry = status["history"][0]
    assert (entry["outcome"], entry["preflight"], entry["bake"]) == (
        "RolledBack",
        "Passed",
        "Failed",
    )
    assert "the preflight left the schema at version" in status["message"]  # no restore needed
    assert ("Warning", "BakeFailed") in api.events(name)
    assert any("5xx ratio" in m for m in messages(api, name))
    version = wait_for(lambda: version_of(url), 30, "the previous version serving again")
    assert version["image"] == GOOD
    assert http_get(f"{url}/auth/login")[0] == 200
    assert 'gitops_rollbacks_total{reason="BakeFailed"}' in operator.metrics()
    described = api.kubectl("describe", "release", name).stdout
    assert "Bake:" in described


def timed_release(api: Api, name: str) -> tuple[float, dict[str, Any]]:
    """Seconds from spec.image = GOOD_NEXT to the Release Ready with it; the status then."""
    started = time.monotonic()
    api.patch_release(name, {"spec": {"image": GOOD_NEXT}})

    def done() -> dict[str, Any] | None:
        status = api.status(name)
        return status if status.get("image") == GOOD_NEXT and status["phase"] == "Ready" else None

    status = wait_for(done, 90, f"{name} Ready with {GOOD_NEXT}", interval=0.05)
    return time.monotonic() - started, status


@pytest.mark.usefixtures("operator")
def test_a_healthy_image_passes_both_at_the_cost_of_their_time_only(api: Api) -> None:
    off = {"timeoutSeconds": 30, "maxRestarts": 1, "bakeSeconds": 0}
    plain = deploy_good(api, "plain", preflight={"enabled": False}, readiness=off)
    readiness = {"timeoutSeconds": 30, "maxRestarts": 1, "bakeSeconds": 2, "errorRate": 0.5}
    verify = [{"path": "/auth/login", "expectStatus": 200, "expectBody": "Log in"}]
    gated = deploy_good(api, "gated", readiness=readiness, verify=verify)
    before, _ = timed_release(api, "plain")
    with Poller(f"{gated}/version") as client:
        after, status = timed_release(api, "gated")
    assert client.statuses() <= {200}
    preflight, bake = status["preflight"], status["bake"]
    assert (preflight["outcome"], preflight["image"]) == ("Passed", GOOD_NEXT)
    assert preflight["schemaVersion"] == status["lastSnapshot"]["schemaVersion"]
    assert (bake["outcome"], bake["image"]) == ("Passed", GOOD_NEXT)
    assert bake["seconds"] >= 2
    entry = status["history"][0]
    assert (entry["outcome"], entry["preflight"], entry["bake"]) == (
        "Succeeded",
        "Passed",
        "Passed",
    )
    reasons = [reason for _, reason in api.events("gated")]
    for step in ("PreflightStarted", "PreflightPassed", "SnapshotTaken", "BakeStarted"):
        assert step in reasons
    assert "RolloutSucceeded" in reasons
    gates = preflight["durationSeconds"] + bake["seconds"]
    print(
        f"release of a healthy image: {before:.1f}s without the preflight and bake, "
        f"{after:.1f}s with them (preflight {preflight['durationSeconds']:.1f}s, "
        f"bake {bake['seconds']:.1f}s)"
    )
    assert after - before <= gates + SLACK_SECONDS, (before, after, gates)
    assert answers(f"{plain}/version")
    assert preflight_pods(api) == []
