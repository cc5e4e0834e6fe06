"""Fixtures of the Release e2e tests (module-scoped: one namespace and one operator per module)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from release_app import Webhook
from release_support import Api, Operator, install_crd


@pytest.fixture(scope="module")
def release_api(cluster: Any) -> Api:
    """The Release CRD installed and a fresh namespace for the module."""
    api = Api(cluster, f"release-e2e-{uuid.uuid4().hex[:6]}")
    install_crd(api)
    return api


@pytest.fixture(scope="module")
def release_webhook(release_api: Api) -> Iterator[Webhook]:
    """A webhook sink, named in the Secret the operator reads its notification channels from."""
    webhook = Webhook()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "release-notify"},
        "stringData": {"webhook-url": webhook.url},
    }
    assert release_api.apply(secret).returncode == 0
    yield webhook
    webhook.stop()


@pytest.fixture(scope="module")
def release_operator(
    release_api: Api,
    release_webhook: Webhook,  # noqa: ARG001  the operator reads the webhook's Secret at start
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Operator]:
    """The operator (`python -m gitops --namespace NS`) watching the module's namespace."""
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    env = {
        "NOTIFY_SECRET": "release-notify",
        "OPERATOR_NAMESPACE": release_api.ns,
        **release_api.cluster.operator_env(),
    }
    operator = Operator(release_api.cluster.kubeconfig, release_api.ns, log, env)
    operator.start()
    yield operator
    release_api.kubectl("delete", "releases", "--all", "--timeout=60s")  # while finalizers work
    operator.stop()


@pytest.fixture
def api(release_api: Api) -> Api:
    """The module's namespace and clients."""
    return release_api


@pytest.fixture
def operator(release_operator: Operator) -> Operator:
    """The module's operator process."""
    return release_operator
