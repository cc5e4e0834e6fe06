"""Contract: a small kopf operator (run by KopfRunner) against the cluster."""

from __future__ import annotations

import textwrap

import pytest
from api_support import GROUP, PLURAL, VERSION, ensure_crd, wait_for, widget
from kopf.testing import KopfRunner
from kubernetes import client

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OPERATOR = textwrap.dedent(f'''
    import kopf

    @kopf.on.login()
    def login(**kwargs):
        # kopf's own kubeconfig reader: KUBECONFIG is read now, not at import time.
        return kopf.login_with_kubeconfig(**kwargs)

    @kopf.on.startup()
    def configure(settings, **_):
        settings.watching.server_timeout = 10
        settings.posting.level = 0

    @kopf.on.create("{GROUP}", "{VERSION}", "{PLURAL}")
    def observe(spec, patch, body, **_):
        patch.status["observedSize"] = spec["size"]
        kopf.info(body, reason="Observed", message=f"size is {{spec['size']}}")

    @kopf.on.update("{GROUP}", "{VERSION}", "{PLURAL}", field="spec.size")
    def resize(new, patch, **_):
        patch.status["observedSize"] = new

    @kopf.on.delete("{GROUP}", "{VERSION}", "{PLURAL}")
    def cleanup(body, **_):
        kopf.info(body, reason="CleanedUp", message="bye")
''')
FINALIZER = "kopf.zalando.org/KopfFinalizerMarker"


def test_kopf_operator_handles_create_update_and_delete(
    cluster, kube, kube_namespace, tmp_path, monkeypatch
):
    ensure_crd(kube)
    monkeypatch.setenv("KUBECONFIG", str(cluster.kubeconfig))
    path = tmp_path / "operator.py"
    path.write_text(OPERATOR)
    custom, core = client.CustomObjectsApi(kube), client.CoreV1Api(kube)

    def get():
        return custom.get_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, "k")

    args = ["run", "-n", kube_namespace, "--standalone", str(path)]
    with KopfRunner(args, timeout=60) as runner:
        custom.create_namespaced_custom_object(
            GROUP, VERSION, kube_namespace, PLURAL, widget("k", size=4)
        )
        wait_for(
            lambda: (get().get("status") or {}).get("observedSize") == 4,
            30,
            "status written by the create handler",
        )
        assert FINALIZER in get()["metadata"]["finalizers"]
        custom.patch_namespaced_custom_object(
            GROUP, VERSION, kube_namespace, PLURAL, "k", {"spec": {"size": 6}}
        )
        wait_for(
            lambda: (get().get("status") or {}).get("observedSize") == 6,
            30,
            "status written by the update handler",
        )
        selector = f"involvedObject.name=k,involvedObject.namespace={kube_namespace}"

        def reasons():
            found = core.list_namespaced_event(kube_namespace, field_selector=selector)
            return {e.reason for e in found.items}

        wait_for(lambda: "Observed" in reasons(), 30, "event posted by kopf")
        custom.delete_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, "k")

        def gone():
            try:
                get()
            except client.ApiException as error:
                return error.status == 404
            return False

        wait_for(gone, 30, "finalizer removed and object deleted")
        wait_for(lambda: "CleanedUp" in reasons(), 30, "delete handler event")
    assert runner.exception is None
    assert runner.exit_code == 0
