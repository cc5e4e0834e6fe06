"""ReleaseSpec validation: defaults, and errors that name the field; decide_invalid."""

from __future__ import annotations

from typing import Any

import pytest
from gitops.images import short_image, short_reference
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
    assert (spec.preflight.enabled, spec.preflight.timeout_seconds) == (True, 120)
    assert (spec.readiness.bake_seconds, spec.readiness.error_rate, spec.verify) == (30, None, ())
    assert spec.data_volume == "db"  # the template's volume of the claim


def test_the_new_gates_are_read_and_each_can_be_turned_off() -> None:
    spec = ReleaseSpec.from_dict(
        {
            **BASE,
            "preflight": {"enabled": False, "timeoutSeconds": 30},
            "readiness": {"bakeSeconds": 0, "errorRate": 0},
            "verify": [{"path": "/auth/login", "expectStatus": 200, "expectBody": "Log in"}],
        },
        {},
    )
    assert (spec.preflight.enabled, spec.preflight.timeout_seconds) == (False, 30)
    assert (spec.readiness.bake_seconds, spec.readiness.error_rate) == (0, 0.0)
    assert [(c.path, c.expect_status, c.expect_body) for c in spec.verify] == [
        ("/auth/login", 200, "Log in")
    ]


def test_a_preflight_needs_the_template_to_mount_the_claim() -> None:
    template = {"spec": {"containers": [{"name": "app"}]}}
    with pytest.raises(SpecError) as info:
        ReleaseSpec.from_dict({**BASE, "template": template}, {})
    assert info.value.field == "spec.preflight"
    assert "mounts no volume of claim 'data'" in str(info.value)
    assert "spec.preflight.enabled to false" in str(info.value)
    off = ReleaseSpec.from_dict({**BASE, "template": template, "preflight": {"enabled": False}})
    assert off.data_volume == ""


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
    ({"readiness": {"bakeSeconds": -1}}, "spec.readiness.bakeSeconds"),
    ({"readiness": {"errorRate": 1.5}}, "spec.readiness.errorRate"),
    ({"readiness": {"errorRate": True}}, "spec.readiness.errorRate"),
    ({"readiness": {"errorRate": "5%"}}, "spec.readiness.errorRate"),
    ({"preflight": {"enabled": "yes"}}, "spec.preflight.enabled"),
    ({"preflight": {"timeoutSeconds": 0}}, "spec.preflight.timeoutSeconds"),
    ({"preflight": []}, "spec.preflight"),
    ({"verify": {"path": "/"}}, "spec.verify"),
    ({"verify": ["/readyz"]}, "spec.verify[0]"),
    ({"verify": [{"path": "readyz"}]}, "spec.verify[0].path"),
    ({"verify": [{"path": "/a b"}]}, "spec.verify[0].path"),
    ({"verify": [{"path": "/", "expectStatus": 700}]}, "spec.verify[0].expectStatus"),
    ({"verify": [{"path": "/", "expectBody": 5}]}, "spec.verify[0].expectBody"),
    ({"verify": [{"path": "/"}] * 11}, "spec.verify"),
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


@pytest.mark.parametrize(
    ("ref", "short"),
    [
        (
            "ghcr.io/o/myfoodbudget:sha-1a2b3c4@sha256:" + "a" * 64,
            "myfoodbudget:sha-1a2b3c4@sha256:aaaaaaaaaaaa",
        ),
        ("localhost:5000/team/app:1.2", "app:1.2"),
        ("ghcr.io/o/app@sha256:" + "b" * 64, "app@sha256:bbbbbbbbbbbb"),
        ("ghcr.io/fork/app:1.2", "app:1.2"),
        ("nginx", "nginx"),
    ],
)
def test_short_reference_keeps_the_repository_and_abbreviates_the_digest(
    ref: str, short: str
) -> None:
    assert short_reference(ref) == short
