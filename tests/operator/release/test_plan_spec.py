"""ReleaseSpec validation: defaults, and errors that name the field; decide_invalid."""

from __future__ import annotations

from typing import Any

import pytest
from gitops.images import short_image
from gitops.release.actions import Wait
from gitops.release.plan import decide_invalid
from gitops.release.spec import ReleaseSpec, SpecError
from planhelpers import T0, TEMPLATE, V1, ready_status

BASE: dict[str, Any] = {"image": V1, "template": TEMPLATE, "snapshot": {"claimName": "data"}}


def test_defaults_follow_the_architecture() -> None:
    spec = ReleaseSpec.from_dict(BASE, {}, name="mfb", generation=3)
    assert (spec.replicas, spec.container, spec.strategy, spec.paused) == (
        1,
        "app",
        "Recreate",
        False,
    )
    assert (spec.readiness.timeout_seconds, spec.readiness.max_restarts) == (300, 2)
    snap = spec.snapshot
    assert (snap.database_path, snap.directory, snap.keep, snap.required) == (
        "myfoodbudget.db",
        "snapshots",
        10,
        True,
    )
    assert (spec.rollback.automatic, spec.rollback.restore_database) == (True, "IfSchemaChanged")
    assert (spec.name, spec.generation, spec.retry_token) == ("mfb", 3, "")


def test_retry_annotation_and_template_hash() -> None:
    spec = ReleaseSpec.from_dict(BASE, {"gitops.myfoodbudget.dev/retry": "2"})
    assert spec.retry_token == "2"
    other = ReleaseSpec.from_dict({**BASE, "strategy": "RollingUpdate"}, {})
    assert len(spec.template_hash) == 16
    assert spec.template_hash != other.template_hash
    assert (
        ReleaseSpec.from_dict({**BASE, "image": "reg.example/app:v9"}, {}).template_hash
        == spec.template_hash
    )


INVALID = [
    ({"image": "Not An Image"}, "spec.image"),
    ({"image": "reg.example/app:"}, "spec.image"),
    ({"image": ""}, "spec.image"),
    ({"container": "web"}, "spec.container"),
    ({"template": {"spec": {"containers": []}}}, "spec.template.spec.containers"),
    ({"strategy": "BlueGreen"}, "spec.strategy"),
    ({"replicas": -1}, "spec.replicas"),
    ({"replicas": True}, "spec.replicas"),
    ({"readiness": {"timeoutSeconds": -5}}, "spec.readiness.timeoutSeconds"),
    ({"readiness": {"timeoutSeconds": 0}}, "spec.readiness.timeoutSeconds"),
    ({"readiness": {"maxRestarts": -1}}, "spec.readiness.maxRestarts"),
    ({"snapshot": {}}, "spec.snapshot.claimName"),
    ({"snapshot": {"claimName": "d", "keep": 0}}, "spec.snapshot.keep"),
    ({"snapshot": {"claimName": "d", "databasePath": "/etc/passwd"}}, "spec.snapshot.databasePath"),
    ({"snapshot": {"claimName": "d", "directory": "../up"}}, "spec.snapshot.directory"),
    ({"snapshot": {"claimName": "d", "required": "yes"}}, "spec.snapshot.required"),
    ({"rollback": {"restoreDatabase": "Sometimes"}}, "spec.rollback.restoreDatabase"),
    ({"paused": "no"}, "spec.paused"),
]


@pytest.mark.parametrize(("change", "field"), INVALID, ids=[f for _, f in INVALID])
def test_invalid_spec_names_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError) as info:
        ReleaseSpec.from_dict({**BASE, **change}, {})
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_decide_invalid_fails_without_touching_anything() -> None:
    with pytest.raises(SpecError) as info:
        ReleaseSpec.from_dict({**BASE, "container": "web"}, {})
    status = ready_status(V1)
    decision = decide_invalid(info.value, status, now=T0, generation=7)
    assert decision.action == Wait(None)
    assert decision.status["phase"] == "Failed"
    assert decision.status["image"] == V1  # the serving version is left alone
    degraded = next(c for c in decision.status["conditions"] if c["type"] == "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "InvalidSpec")
    assert "spec.container" in degraded["message"]
    assert decision.event is not None
    assert (decision.event.type, decision.event.reason) == ("Warning", "InvalidSpec")
    assert decision.status["observedGeneration"] == 7
    again = decide_invalid(info.value, decision.status, now=T0, generation=7)
    assert again.event is None  # the same problem is not announced twice


@pytest.mark.parametrize(
    ("ref", "short"),
    [
        ("ghcr.io/o/myfoodbudget:sha-1a2b3c4@sha256:" + "a" * 64, "sha-1a2b3c4"),
        ("localhost:5000/app:1.2", "1.2"),
        ("ghcr.io/o/app@sha256:" + "b" * 64, "bbbbbbbbbbbb"),
        ("nginx", "latest"),
    ],
)
def test_short_image(ref: str, short: str) -> None:
    assert short_image(ref) == short
