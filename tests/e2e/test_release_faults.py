"""A Release reaches the same outcome while the API server fails creates and drops watches.

Only POSTs fail: the sandbox kubelet gives up on a pod's final status when that PATCH fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from release_app import answers
from release_objects import CRASH, GOOD
from release_support import Api, deploy_good, wait_for
from reliability_support import set_faults

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def faulty(release_api: Api) -> Iterator[Any]:
    """Failing creates and short watches for the test's duration; cleared afterwards."""
    cluster = release_api.cluster
    if not cluster.is_sandbox:
        pytest.skip("fault injection is a sandbox feature")
    yield lambda: set_faults(
        cluster, rate=0.3, codes=[500, 503, 409], methods=["POST"], drop_watch_after=3
    )
    set_faults(cluster)


@pytest.mark.usefixtures("release_operator")
def test_rollback_completes_through_api_faults(release_api: Api, faulty: Any) -> None:
    api = release_api
    readiness = {"timeoutSeconds": 60, "maxRestarts": 1, "bakeSeconds": 1}
    url = deploy_good(api, "faulty", readiness=readiness, preflight={"enabled": False})
    api.patch_release("faulty", {"spec": {"image": CRASH}})
    faulty()
    status = api.wait_phase("faulty", "RolledBack", timeout=60)
    assert (status["image"], status["failedImage"]) == (GOOD, CRASH)
    assert api.deployment_image("faulty") == GOOD
    assert wait_for(lambda: answers(f"{url}/version"), 30, "the previous version serving")
