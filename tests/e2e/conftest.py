"""Fixtures of the Release e2e tests (module-scoped: one namespace and one operator per module)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from release_support import Api, Operator, install_crd


@pytest.fixture(scope="module")
def release_api(cluster: Any) -> Iterator[Api]:
    """The Release CRD installed and a fresh namespace for the module."""
    api = Api(cluster, f"release-e2e-{uuid.uuid4().hex[:6]}")
    install_crd(api)
    yield api
    api.kubectl("delete", "releases", "--all", "--wait=false")


@pytest.fixture(scope="module")
def release_operator(
    release_api: Api, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Operator]:
    """The operator (`python -m gitops --namespace NS`) watching the module's namespace."""
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    operator = Operator(release_api.cluster.kubeconfig, release_api.ns, log)
    operator.start()
    yield operator
    operator.stop()
