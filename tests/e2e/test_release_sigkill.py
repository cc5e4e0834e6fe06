"""A Release survives its operator being killed (SIGKILL) in every phase: same outcome after."""

from __future__ import annotations

from typing import Any

import pytest
from release_app import answers, seed_users, users_present
from release_objects import GOOD, GOOD_NEXT, MIGRATE, MIGRATION_FAILS
from release_support import Api, Operator, deploy_good, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def kill_during(
    api: Api, operator: Operator, name: str, image: str, phase: str, end: str
) -> dict[str, Any]:
    """Release `image`, SIGKILL the operator in `phase`, start it again; the status at `end`."""
    api.patch_release(name, {"spec": {"image": image}})
    api.wait_phase(name, phase, timeout=60, interval=0.02)
    operator.kill()
    assert api.status(name)["phase"] == phase, "the operator moved on before it was killed"
    operator.start()
    return api.wait_phase(name, end, timeout=90)


@pytest.mark.parametrize("phase", ["Snapshotting", "RollingOut", "RollingBack"])
def test_killed_operator_resumes_to_the_same_rollback(
    release_api: Api, release_operator: Operator, phase: str
) -> None:
    api, operator = release_api, release_operator
    name = f"kill-{phase.lower()}"
    url = deploy_good(api, name, preflight={"enabled": False})  # the rollback path itself
    users = seed_users(url)
    status = kill_during(api, operator, name, MIGRATE, phase, "RolledBack")
    assert (status["image"], status["failedImage"]) == (GOOD, MIGRATE)
    assert api.deployment_image(name) == GOOD
    assert wait_for(lambda: answers(f"{url}/version"), 30, "the previous version serving")
    assert users_present(url, users)
    jobs = api.jobs(name)
    assert sorted(j.rsplit("-", 2)[-2] for j in jobs) == ["restore", "snapshot"], jobs
    assert ("Normal", "RestoreCompleted") in api.events(name)


@pytest.mark.parametrize(
    ("phase", "image", "end", "serving"),
    [("Preflight", MIGRATION_FAILS, "Failed", GOOD), ("Baking", GOOD_NEXT, "Ready", GOOD_NEXT)],
    ids=["preflight", "baking"],
)
def test_killed_operator_resumes_the_preflight_and_the_bake(
    release_api: Api, release_operator: Operator, phase: str, image: str, end: str, serving: str
) -> None:
    api, operator = release_api, release_operator
    name = f"kill-{phase.lower()}"
    readiness = {"timeoutSeconds": 30, "maxRestarts": 1, "bakeSeconds": 5}
    url = deploy_good(api, name, readiness=readiness)
    users = seed_users(url)
    status = kill_during(api, operator, name, image, phase, end)
    assert (status["image"], api.deployment_image(name)) == (serving, serving)
    outcome = "Failed" if end == "Failed" else "Passed"
    assert status["preflight"]["outcome"] == outcome
    assert status["history"][0]["preflight"] == outcome
    if end == "Ready":
        assert status["bake"]["outcome"] == "Passed"
    assert wait_for(lambda: answers(f"{url}/version"), 30, "the serving version answering")
    assert users_present(url, users)
    left = api.core.list_namespaced_pod(
        api.ns, label_selector="gitops.myfoodbudget.dev/job=preflight"
    )
    assert left.items == []
