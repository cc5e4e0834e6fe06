"""A malformed spec.image is refused with a message that says what a valid reference looks like.

A cluster that evaluates the CRD's CEL rule (k3s) refuses it in kubectl; the sandbox skips CEL
(docs/sandbox.md), so there the operator refuses it with the same message and touches nothing.
"""

from __future__ import annotations

import pytest
from gitops.images import IMAGE_MESSAGE
from release_objects import GOOD, claim, release_object
from release_support import Api, wait_for
from support.reliability import bad_input

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BAD = "Not An Image!"


@pytest.fixture
def api(release_api: Api) -> Api:
    """The module's namespace and clients."""
    return release_api


@pytest.mark.usefixtures("release_operator")
def test_a_malformed_image_is_refused_naming_the_valid_form(api: Api) -> None:
    body = release_object("badimage", GOOD)
    body["spec"]["image"] = BAD
    applied = api.apply(claim("badimage-data"), body)
    given = f"spec.image {BAD!r}"
    if not api.cluster.is_sandbox:
        absent = api.kubectl("get", "release", "badimage").returncode != 0
        bad_input(
            "Release spec (schema)",
            given,
            applied.stderr.strip(),
            unchanged=absent,
            namespace=api.ns,
        )
        assert applied.returncode != 0
        assert "spec.image: Invalid value: " in applied.stderr
        assert IMAGE_MESSAGE in applied.stderr
        assert "should match" not in applied.stderr
        assert api.kubectl("get", "release", "badimage").returncode != 0
        return
    assert applied.returncode == 0, applied.stderr
    status = api.wait_phase("badimage", "Failed", timeout=30)
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert degraded["reason"] == "InvalidSpec"
    assert degraded["message"].startswith(f"spec.image: {IMAGE_MESSAGE}; got {BAD!r}")
    wait_for(lambda: ("Warning", "InvalidSpec") in api.events("badimage"), 10, "the Event")
    untouched = api.deployment_image("badimage") is None and api.jobs("badimage") == []
    bad_input(
        "Release spec (operator)", given, degraded["message"], unchanged=untouched, namespace=api.ns
    )
    assert api.deployment_image("badimage") is None
    assert api.jobs("badimage") == []
