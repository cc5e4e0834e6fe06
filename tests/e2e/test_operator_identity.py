"""Everything the in-cluster operator did in this session, it did as its ServiceAccount.

The sandbox's audit log (`--audit-log`, one audit.k8s.io/v1 Event per allowed write, as
kube-apiserver's `--audit-log-path` writes them) names the identity behind every write. This
module runs last (tests/e2e/conftest.py orders it), when the Release, GitSync and install tests
have made the operator roll out, snapshot, restore, roll back and sync.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.in_cluster import ACCOUNT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN, NODE = "system:admin", "system:sandbox-node"  # the tests' kubectl; the sandbox itself
# Writes only the operator makes: its own status, and the Jobs it starts.
OPERATOR_ONLY = {("releases", "status"), ("gitsyncs", "status"), ("jobs", "")}


def writes(cluster: Any) -> list[dict[str, Any]]:
    """The audit Events of the session so far."""
    lines = cluster.audit_log.read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_every_operator_write_came_from_its_service_account(cluster: Any, in_cluster: Any) -> None:
    def set_by_a_test(event: dict[str, Any]) -> bool:
        """A status a test wrote itself (InClusterOperator.status_set_by_tests)."""
        ref = event["objectRef"]
        mine = ref.get("subresource") == "status" and ref["name"] in in_cluster.status_set_by_tests
        return event["user"]["username"] == ADMIN and mine

    if in_cluster is None:
        pytest.skip("the operator runs in the cluster only on the docker runtime (make test)")
    events = writes(cluster)
    users = {e["user"]["username"] for e in events}
    assert users <= {ADMIN, NODE, ACCOUNT}, f"writes by another identity: {users}"
    by_operator: set[tuple[str, str]] = set()
    for event in events:
        ref = event["objectRef"]
        kind = (ref["resource"], ref.get("subresource", ""))
        if event["user"]["username"] == ACCOUNT:
            by_operator.add(kind)
        elif kind in OPERATOR_ONLY and event["verb"] != "delete" and not set_by_a_test(event):
            raise AssertionError(f"{event['user']['username']} wrote {kind}: {event}")
    done = {*OPERATOR_ONLY, ("deployments", ""), ("events", "")}
    assert done <= by_operator, f"the operator made no writes of {done - by_operator}"
