"""A Release survives its operator being killed (SIGKILL) in every phase: same outcome after."""

from __future__ import annotations

from typing import Any

import pytest
from release_app import answers, seed_users, users_present
from release_objects import GOOD, MIGRATE
from release_support import Api, Operator, deploy_good, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def kill_during(  # noqa: PLR0913, PLR0917 - the release, and the phase it is killed and ends in
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
