"""HTTPS, ServiceAccount tokens and RBAC on a real sandbox process, with real kubectl.

The 401 and 403 bodies are compared field by field with what kube-apiserver 1.37 answers
(responsewriters.Forbidden, apierrors.NewForbidden, the 401 of the authentication filter).
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from sandbox_workloads import Sandbox, namespace, sandbox

__all__ = ["namespace", "sandbox"]
pytestmark = pytest.mark.slow
ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "pod-reader"},
    "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}],
}


def _server(kubeconfig: Path) -> tuple[str, str]:
    cluster = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]
    return cluster["server"], base64.b64decode(cluster["certificate-authority-data"]).decode()


def call(
    kubeconfig: Path, path: str, token: str | None = None, method: str = "GET", body: Any = None
) -> tuple[int, Any]:
    """One request with a bearer token (or none) and only the CA: (code, decoded body)."""
    server, ca = _server(kubeconfig)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(server + path, data, headers, method=method)
    context = ssl.create_default_context(cadata=ca)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def account(sandbox: Sandbox, namespace: str, name: str = "bot", *extra: str) -> str:
    """Create a ServiceAccount and return a token of it (kubectl create token)."""
    sandbox.kubectl("-n", namespace, "create", "serviceaccount", name)
    return sandbox.kubectl("-n", namespace, "create", "token", name, *extra).stdout.strip()


def token_kubeconfig(sandbox: Sandbox, token: str, target: Path) -> Path:
    """A kubeconfig with the sandbox's server and CA and only this token."""
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    config["users"] = [{"name": "sandbox", "user": {"token": token}}]
    target.write_text(yaml.safe_dump(config))
    return target


def test_the_kubeconfig_speaks_https_with_the_sandbox_ca(sandbox: Sandbox) -> None:
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
    assert cluster["server"].startswith("https://127.0.0.1:")
    assert "insecure-skip-tls-verify" not in cluster
    assert "BEGIN CERTIFICATE" in base64.b64decode(cluster["certificate-authority-data"]).decode()
    assert {"client-certificate-data", "client-key-data"} <= set(user)
    whoami = json.loads(sandbox.kubectl("auth", "whoami", "-o", "json").stdout)
    assert whoami["status"]["userInfo"]["username"] == "system:admin"
    assert "system:masters" in whoami["status"]["userInfo"]["groups"]
    server, _ = _server(sandbox.kubeconfig)
    with pytest.raises(urllib.error.URLError) as refused:  # the CA is not a public one
        urllib.request.urlopen(f"{server}/version", timeout=5)
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)


@pytest.mark.parametrize("token", [None, "not-a-token", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"])
def test_missing_or_invalid_credentials_answer_401(sandbox: Sandbox, token: str | None) -> None:
    assert call(sandbox.kubeconfig, "/api/v1/namespaces", token) == (401, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Unauthorized", "reason": "Unauthorized", "code": 401,
    })  # fmt: skip


def test_token_request_issues_signed_tokens_with_service_account_claims(
    sandbox: Sandbox, namespace: str
) -> None:
    token = account(sandbox, namespace, "bot", "--duration=15m", "--audience=vault")
    header, claims = (
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        for part in token.split(".")[:2]
    )
    uid = sandbox.core.read_namespaced_service_account("bot", namespace).metadata.uid
    assert header["alg"] == "ES256"
    assert header["kid"]
    assert claims["sub"] == f"system:serviceaccount:{namespace}:bot"
    assert claims["aud"] == ["vault"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["kubernetes.io"]["namespace"] == namespace
    assert claims["kubernetes.io"]["serviceaccount"] == {"name": "bot", "uid": uid}
    # a token for another audience is not one for the API server
    assert call(sandbox.kubeconfig, "/version", token)[0] == 401
    own = sandbox.kubectl("-n", namespace, "create", "token", "bot").stdout.strip()
    assert call(sandbox.kubeconfig, "/version", own)[0] == 200
    too_short = sandbox.kubectl("-n", namespace, "create", "token", "bot", "--duration=5m",
                                check=False)  # fmt: skip
    assert too_short.returncode == 1
    assert "may not specify a duration less than 10 minutes" in too_short.stderr
    # deleting the ServiceAccount invalidates its tokens
    sandbox.kubectl("-n", namespace, "delete", "serviceaccount", "bot")
    assert call(sandbox.kubeconfig, "/version", own)[0] == 401


def test_a_service_account_gets_403_with_kubernetes_status_body(
    sandbox: Sandbox, namespace: str
) -> None:
    token = account(sandbox, namespace)
    user = f"system:serviceaccount:{namespace}:bot"
    code, body = call(sandbox.kubeconfig, f"/api/v1/namespaces/{namespace}/pods", token)
    assert (code, body) == (403, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f'pods is forbidden: User "{user}" cannot list resource "pods" in API group'
                   f' "" in the namespace "{namespace}"',
        "reason": "Forbidden", "details": {"kind": "pods"}, "code": 403,
    })  # fmt: skip
    code, body = call(sandbox.kubeconfig, "/api/v1/namespaces/x/secrets/s", token)
    assert body["message"] == (
        f'secrets "s" is forbidden: User "{user}" cannot get resource "secrets" in API group ""'
        ' in the namespace "x"'
    )
    assert body["details"] == {"name": "s", "kind": "secrets"}
    code, body = call(sandbox.kubeconfig, "/apis/apps/v1/deployments?watch=true", token)
    assert body["message"] == (
        f'deployments.apps is forbidden: User "{user}" cannot watch resource "deployments" in '
        'API group "apps" at the cluster scope'
    )
    assert body["details"] == {"group": "apps", "kind": "deployments"}
    code, body = call(sandbox.kubeconfig, f"/api/v1/namespaces/{namespace}/pods/p/log", token)
    assert 'cannot get resource "pods/log" in API group ""' in body["message"]
    code, body = call(sandbox.kubeconfig, "/sandbox/faults", token)
    assert (code, body["message"], body["details"]) == (
        403, f'forbidden: User "{user}" cannot get path "/sandbox/faults"', {})  # fmt: skip
    # discovery is every authenticated user's, as system:discovery grants
    assert call(sandbox.kubeconfig, "/apis", token)[0] == 200


def test_the_audit_log_names_who_made_each_allowed_write(sandbox: Sandbox, namespace: str) -> None:
    token = account(sandbox, namespace, "writer")
    sandbox.kubectl("-n", namespace, "create", "rolebinding", "edit", "--clusterrole=edit",
                    f"--serviceaccount={namespace}:writer")  # fmt: skip
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    assert call(sandbox.kubeconfig, path, token, "POST", {"metadata": {"name": "mine"}})[0] == 201
    assert call(sandbox.kubeconfig, path + "/mine", token)[0] == 200  # a read: not logged
    assert call(sandbox.kubeconfig, path + "/gone", token, "DELETE")[0] == 404
    elsewhere = "/api/v1/namespaces/kube-system/configmaps"  # refused: never reaches the log
    assert call(sandbox.kubeconfig, elsewhere, token, "POST", {"metadata": {"name": "x"}})[0] == 403
    user = f"system:serviceaccount:{namespace}:writer"
    events = [json.loads(line) for line in sandbox.audit_log.read_text().splitlines()]
    mine = [e for e in events if e["user"]["username"] == user]
    assert [(e["verb"], e["objectRef"], e["responseStatus"]["code"]) for e in mine] == [
        ("create", {"resource": "configmaps", "namespace": namespace}, 201),
        ("delete", {"resource": "configmaps", "namespace": namespace, "name": "gone"}, 404),
    ]
    assert {e["apiVersion"] for e in mine} == {"audit.k8s.io/v1"}
    admin = [e for e in events if e["user"]["username"] == "system:admin"]
    assert ("create", "rolebindings") in {(e["verb"], e["objectRef"]["resource"]) for e in admin}


def test_roles_and_bindings_grant_what_they_say(sandbox: Sandbox, namespace: str) -> None:
    token = account(sandbox, namespace)
    path = f"/api/v1/namespaces/{namespace}/pods"
    sandbox.apply(namespace, ROLE)
    sandbox.kubectl("-n", namespace, "create", "rolebinding", "read", "--role=pod-reader",
                    f"--serviceaccount={namespace}:bot")  # fmt: skip
    assert call(sandbox.kubeconfig, path, token)[0] == 200
    assert call(sandbox.kubeconfig, path + "?watch=true&timeoutSeconds=1", token)[0] == 403
    assert call(sandbox.kubeconfig, "/api/v1/pods", token)[0] == 403  # a Role is one namespace's
    body = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    code, answer = call(sandbox.kubeconfig, path, token, "POST", body)
    assert (code, answer["reason"]) == (403, "Forbidden")
    # the built-in `view` ClusterRole, aggregated from system:aggregate-to-view
    sandbox.kubectl("create", "clusterrolebinding", f"view-{namespace}", "--clusterrole=view",
                    f"--serviceaccount={namespace}:bot")  # fmt: skip
    assert call(sandbox.kubeconfig, "/apis/apps/v1/deployments", token)[0] == 200
    assert call(sandbox.kubeconfig, f"/api/v1/namespaces/{namespace}/secrets", token)[0] == 403
    sandbox.kubectl("delete", "clusterrolebinding", f"view-{namespace}")


def test_kubectl_auth_can_i_answers_from_the_same_rules(sandbox: Sandbox, namespace: str) -> None:
    account(sandbox, namespace)
    who = f"--as=system:serviceaccount:{namespace}:bot"

    def can(*args: str) -> str:
        return sandbox.kubectl("auth", "can-i", *args, who, "-n", namespace, check=False).stdout

    assert can("list", "pods").strip() == "no"
    sandbox.kubectl("-n", namespace, "create", "rolebinding", "edit", "--clusterrole=edit",
                    f"--serviceaccount={namespace}:bot")  # fmt: skip
    assert can("create", "deployments.apps").strip() == "yes"
    assert can("create", "pods/exec").strip() == "yes"
    assert can("create", "roles.rbac.authorization.k8s.io").strip() == "no"  # admin's, not edit's
    assert can("get", "nodes").strip() == "no"
    # a SubjectAccessReview for the same subject gives the same answer, with the reason
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": f"system:serviceaccount:{namespace}:bot",
            "groups": ["system:serviceaccounts", "system:authenticated"],
            "resourceAttributes": {"namespace": namespace, "verb": "create",
                                   "group": "apps", "resource": "deployments"},
        },
    }  # fmt: skip
    answered = client.AuthorizationV1Api(sandbox.api).create_subject_access_review(review)
    assert answered.status.allowed is True
    assert answered.status.reason == (
        f'RBAC: allowed by RoleBinding "edit/{namespace}" of ClusterRole "edit" to '
        f'ServiceAccount "bot/{namespace}"'
    )


def test_impersonation_needs_the_impersonate_verb(
    sandbox: Sandbox, namespace: str, tmp_path: Path
) -> None:
    token = account(sandbox, namespace)
    config = token_kubeconfig(sandbox, token, tmp_path / "bot.kubeconfig")
    argv = ["--kubeconfig", str(config), "auth", "can-i", "get", "pods", "--as=someone"]
    refused = sandbox.kubectl(*argv, check=False)
    assert refused.returncode != 0
    assert (
        f'users "someone" is forbidden: User "system:serviceaccount:{namespace}:bot" cannot '
        'impersonate resource "users" in API group "" at the cluster scope'
    ) in refused.stderr
