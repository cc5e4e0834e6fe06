"""A serving version that fails after it was Ready, on the real app: Degraded with the
container's last termination, one Warning Event and one notification per incident, no
rollback, and a Normal Event once it holds up again.

The failure is real: an exec liveness probe fails once when a file appears on the claim
(`kubectl exec ... touch`), and the kubelet restarts the app's container, as it would after a
crash or an out-of-memory kill.
"""

from __future__ import annotations

from typing import Any

import pytest
from release_app import Webhook
from release_objects import (
    BAKE_SECONDS,
    GOOD,
    READINESS_TIMEOUT,
    claim,
    node_port_service,
    release_object,
)
from release_support import Api, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TRIGGER = "/data/fail-liveness-once"
LIVENESS = {
    "exec": {"command": ["sh", "-c", f"if [ -e {TRIGGER} ]; then rm -f {TRIGGER}; exit 1; fi"]},
    "periodSeconds": 1,
    "failureThreshold": 1,
}
DEGRADED_AFTER = 3


def condition(api: Api, name: str, type_: str) -> dict[str, Any]:
    """One condition of the Release ({} before it is set)."""
    found = api.status(name).get("conditions") or []
    return next((c for c in found if c["type"] == type_), {})


def app_pod(api: Api, name: str) -> Any:
    """The one pod of the Release's Deployment."""
    selector = f"app.kubernetes.io/instance={name}"
    [pod] = api.core.list_namespaced_pod(api.ns, label_selector=selector).items
    return pod


@pytest.mark.usefixtures("operator")
def test_a_restart_after_ready_is_reported_once_and_never_rolled_back(
    api: Api, release_webhook: Webhook
) -> None:
    name = "health"
    readiness = {
        "timeoutSeconds": READINESS_TIMEOUT,
        "maxRestarts": 1,
        "bakeSeconds": BAKE_SECONDS,
        "degradedAfterSeconds": DEGRADED_AFTER,
    }
    release = release_object(name, GOOD, readiness=readiness)
    release["spec"]["template"]["spec"]["containers"][0]["livenessProbe"] = LIVENESS
    applied = api.apply(claim(f"{name}-data"), node_port_service(name), release)
    assert applied.returncode == 0, applied.stderr
    served = api.kubectl("wait", "--for=condition=Serving", f"release/{name}", "--timeout=60s")
    assert served.returncode == 0, served.stderr
    wait_for(lambda: api.status(name).get("health"), 30, "the watch of the serving version")
    pod = app_pod(api, name).metadata.name
    touched = api.kubectl("exec", pod, "-c", "app", "--", "touch", TRIGGER)
    assert touched.returncode == 0, touched.stderr

    degraded = wait_for(
        lambda: (c := condition(api, name, "Degraded")).get("status") == "True" and c,
        60,
        "Degraded after the restart",
    )
    assert degraded["reason"] == "ContainerRestarted"
    ended = app_pod(api, name).status.container_statuses[0].last_state.terminated
    assert f"pod {pod} restarted (restart count 1), last termination " in degraded["message"]
    assert f"{ended.reason}, exit code {ended.exit_code}" in degraded["message"]
    assert "not rolled back" in degraded["message"]

    recovered = wait_for(
        lambda: (c := condition(api, name, "Degraded")).get("status") == "False" and c,
        60,
        "the recovery",
    )
    assert recovered["reason"] == "Recovered"
    waited = api.kubectl("wait", "--for=condition=Ready", f"release/{name}", "--timeout=30s")
    assert waited.returncode == 0, waited.stderr
    status = api.status(name)
    assert (status["phase"], status["image"], status["rolloutCount"]) == ("Ready", GOOD, 1)
    assert api.deployment_image(name) == GOOD
    assert api.jobs(name) == []  # no snapshot, no restore: nothing was rolled back
    events = api.events(name)
    assert events.count(("Warning", "ContainerRestarted")) == 1
    assert events.count(("Normal", "Recovered")) == 1
    assert not {reason for kind, reason in events if kind == "Warning"} - {"ContainerRestarted"}
    notes = [n for n in release_webhook.received if n.get("release") == f"{api.ns}/{name}"]
    assert [n["reason"] for n in notes] == ["ContainerRestarted"]
    described = api.kubectl("describe", "release", name).stdout
    assert f"{GOOD} serves, as spec.image asks" in described
    assert "Recovered" in described
