"""The operator's settings are read from the environment and refused with one line per problem."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from gitops.settings import Settings, SettingsError

IMAGE = "ghcr.io/owner/myfoodbudget-operator:1.2.3"


def test_defaults_need_only_the_operator_image() -> None:
    settings = Settings.from_env({"OPERATOR_IMAGE": IMAGE})
    assert settings.operator_image == IMAGE
    assert settings.watch_namespace is None
    assert settings.metrics_port == 8080
    assert settings.notify_secret is None
    assert (settings.pod_http, settings.pod_ports_annotation) == ("proxy", "")


def test_pods_are_reached_through_the_proxy_or_directly_and_nothing_else() -> None:
    env = {"OPERATOR_IMAGE": IMAGE, "POD_HTTP": "direct", "POD_PORTS_ANNOTATION": "x.io/ports"}
    settings = Settings.from_env(env)
    assert (settings.pod_http, settings.pod_ports_annotation) == ("direct", "x.io/ports")
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"OPERATOR_IMAGE": IMAGE, "POD_HTTP": "telepathy"})
    assert info.value.problems == ["POD_HTTP='telepathy' is invalid: expected one of proxy, direct"]


def test_every_variable_is_read() -> None:
    env = {
        "OPERATOR_IMAGE": IMAGE + "@sha256:" + "a" * 64,
        "WATCH_NAMESPACE": "apps",
        "OPERATOR_NAMESPACE": "gitops-system",
        "METRICS_PORT": "0",
        "NOTIFY_SECRET": "notify",
        "WORK_DIR": "/var/tmp/work",
        "RESYNC_SECONDS": "15",
        "POLL_SECONDS": "0.5",
        "JOB_DEADLINE_SECONDS": "120",
    }
    settings = Settings.from_env(env)
    assert settings.watch_namespace == "apps"
    assert settings.operator_namespace == "gitops-system"
    assert settings.metrics_port == 0
    assert settings.notify_secret == "notify"
    assert settings.work_dir == Path("/var/tmp/work")
    assert (settings.resync_seconds, settings.poll_seconds) == (15.0, 0.5)
    assert settings.job_deadline_seconds == 120


@pytest.mark.parametrize(
    ("env", "namespace"),
    [
        ({"OPERATOR_NAMESPACE": "own", "POD_NAMESPACE": "ops", "WATCH_NAMESPACE": "app"}, "own"),
        ({"POD_NAMESPACE": "ops", "WATCH_NAMESPACE": "app"}, "ops"),
        ({"WATCH_NAMESPACE": "app"}, "app"),
        ({}, "default"),
    ],
    ids=["set", "pod", "watched", "none"],
)
def test_operator_namespace_falls_back_as_the_operations_doc_says(
    env: dict[str, str], namespace: str
) -> None:
    settings = Settings.from_env({"OPERATOR_IMAGE": IMAGE, **env})
    assert settings.operator_namespace == namespace
    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    assert "| `OPERATOR_NAMESPACE` | `POD_NAMESPACE`, else `WATCH_NAMESPACE`, else `default`" in doc


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({"OPERATOR_IMAGE": IMAGE})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.metrics_port = 1  # type: ignore[misc]


def test_each_bad_variable_gets_its_own_line() -> None:
    env = {
        "METRICS_PORT": "http",
        "POLL_SECONDS": "-1",
        "WATCH_NAMESPACE": "Not_A_Name",
        "JOB_DEADLINE_SECONDS": "nan",
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    problems = caught.value.problems
    assert len(problems) == 5
    assert problems[0] == "OPERATOR_IMAGE is required but not set"
    by_name = {line.split("=")[0]: line for line in problems[1:]}
    assert set(by_name) == {
        "METRICS_PORT",
        "POLL_SECONDS",
        "WATCH_NAMESPACE",
        "JOB_DEADLINE_SECONDS",
    }
    assert "0 to 65535" in by_name["METRICS_PORT"]
    assert str(caught.value).count("\n") == 4


@pytest.mark.parametrize("image", ["Name:1", "ghcr.io/o/n:", "a b", "ghcr.io/o/n@sha256:xyz"])
def test_operator_image_must_be_an_image_reference(image: str) -> None:
    with pytest.raises(SettingsError, match=r"OPERATOR_IMAGE=.*image reference"):
        Settings.from_env({"OPERATOR_IMAGE": image})


def test_port_out_of_range_is_refused() -> None:
    with pytest.raises(SettingsError, match="METRICS_PORT='70000'"):
        Settings.from_env({"OPERATOR_IMAGE": IMAGE, "METRICS_PORT": "70000"})
