"""Fixtures of the Release e2e tests (module-scoped: one namespace and one operator per module).

On the docker runtime (`--sandbox-runtime docker`, make test) the operator is the one
installed in the cluster from manifests/ for the session, so the tests use the namespace it
watches (myfoodbudget) and its notification Secret; elsewhere each module starts its own
operator process for a namespace of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from release_app import Webhook
from release_support import Api, Operator, install_crd
from support.in_cluster import APP_NS

LAST = "test_operator_identity.py"  # it reads what every other test made the operator do


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the identity audit after every other test of the session."""
    items.sort(key=lambda item: item.path.name == LAST)


@pytest.fixture(scope="module")
def release_api(cluster: Any, in_cluster: Any) -> Api:
    """The Release CRD installed and a fresh namespace for the module (the operator's, when it
    runs in the cluster)."""
    api = Api(cluster, APP_NS if in_cluster else f"release-e2e-{uuid.uuid4().hex[:6]}")
    install_crd(api)
    return api


@pytest.fixture(scope="module")
def release_webhook(release_api: Api, in_cluster: Any) -> Iterator[Webhook]:
    """A webhook sink, named in the Secret the operator reads its notification channels from."""
    if in_cluster is not None:
        yield in_cluster.webhook
        return
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
    in_cluster: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """The operator watching the module's namespace: the in-cluster one, or
    `python -m gitops --namespace NS` as a process of its own."""
    if in_cluster is not None:
        yield in_cluster
        release_api.kubectl("delete", "releases", "--all", "--timeout=60s")
        return
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
