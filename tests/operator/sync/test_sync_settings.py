"""The GitSync fields of the operator's settings."""

from __future__ import annotations

import pytest
from gitops.settings import Settings, SettingsError

IMAGE = {"OPERATOR_IMAGE": "ghcr.io/owner/operator:1"}


def test_sync_defaults() -> None:
    settings = Settings.from_env(IMAGE)
    assert settings.sync_cluster_kinds == frozenset()
    assert (settings.sync_retry_seconds, settings.sync_retry_max_seconds) == (1.0, 300.0)
    assert settings.sync_kubectl is None


def test_sync_fields_are_read() -> None:
    env = IMAGE | {
        "SYNC_CLUSTER_KINDS": "Namespace, ClusterRole",
        "SYNC_RETRY_SECONDS": "0.5",
        "SYNC_KUBECTL": "/usr/bin/kubectl",
    }
    settings = Settings.from_env(env)
    assert settings.sync_cluster_kinds == {"Namespace", "ClusterRole"}
    assert settings.sync_retry_seconds == 0.5
    assert settings.sync_kubectl == "/usr/bin/kubectl"


def test_bad_kinds_are_named() -> None:
    with pytest.raises(SettingsError, match=r"SYNC_CLUSTER_KINDS.*expected kinds like"):
        Settings.from_env(IMAGE | {"SYNC_CLUSTER_KINDS": "namespace,cluster-role"})
