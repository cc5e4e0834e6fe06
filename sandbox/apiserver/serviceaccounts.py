"""ServiceAccounts: the TokenRequest API, the pod admission that mounts a token, and the
controllers that keep a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap in every
namespace.

Admission (the real `ServiceAccount` plugin): a new pod runs as `default` unless it names an
account, which must exist; unless `automountServiceAccountToken` is false (on the pod, else on
the account) it gets the projected volume `kube-api-access-XXXXX` (a token, `ca.crt` from
`kube-root-ca.crt`, and the namespace), mounted read-only at
/var/run/secrets/kubernetes.io/serviceaccount in every container and init container.
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import logging
from typing import Any

from sandbox.apiserver import meta
from sandbox.apiserver.errors import APIError, bad_request, cause, forbidden, invalid, not_found
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import ResourceType, Target
from sandbox.apiserver.store import Event, Obj
from sandbox.apiserver.tokens import AUDIENCES, Binding, Issuer
from sandbox.apiserver.verbs import API

log = logging.getLogger(__name__)
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
ROOT_CA = "kube-root-ca.crt"
SERVICE_ACCOUNTS, CONFIGMAPS = ("", "serviceaccounts"), ("", "configmaps")
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 600, 2**32, 3600
BOUND_KINDS = {"Pod": ("", "pods"), "Secret": ("", "secrets"), "Node": ("", "nodes")}


def _token_volume(name: str) -> Obj:
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": ROOT_CA, "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                "path": "namespace",
                            }
                        ]
                    }
                },
            ],
        },
    }


def admit_pod(api: API, rtype: ResourceType, pod: Obj) -> None:
    """On pod create: default the account, check it exists, mount its token unless opted out."""
    if rtype.key != ("", "pods"):
        return
    spec, md = pod.setdefault("spec", {}), pod["metadata"]
    name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = spec["serviceAccount"] = name
    account = api.store.get(SERVICE_ACCOUNTS, md["namespace"], name)
    if account is None:
        why = (
            f"error looking up service account {md['namespace']}/{name}: "
            f'serviceaccount "{name}" not found'
        )
        raise forbidden("pods", md["name"], "", why)
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        automount = account.get("automountServiceAccountToken")
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    mounted = any(
        m.get("mountPath") == MOUNT_PATH for c in containers for m in c.get("volumeMounts") or []
    )
    if automount is False or mounted:
        return
    volume = meta.generate_name("kube-api-access-")
    spec.setdefault("volumes", []).append(_token_volume(volume))
    for container in containers:
        mount = {"name": volume, "readOnly": True, "mountPath": MOUNT_PATH}
        container.setdefault("volumeMounts", []).append(mount)


def _token_spec(body: Any, name: str) -> Obj:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a TokenRequest")
    spec = dict(body.get("spec") or {})
    seconds = spec.get("expirationSeconds") or DEFAULT_SECONDS
    causes = []
    if not isinstance(seconds, int) or seconds < MIN_SECONDS:
        causes.append(cause("spec.expirationSeconds", "FieldValueInvalid",
                            f"Invalid value: {seconds}: may not specify a duration less than "
                            "10 minutes"))  # fmt: skip
    elif seconds > MAX_SECONDS:
        causes.append(cause("spec.expirationSeconds", "FieldValueInvalid",
                            f"Invalid value: {seconds}: may not specify a duration larger than "
                            "2^32 seconds"))  # fmt: skip
    if causes:
        raise invalid("TokenRequest", name, "authentication.k8s.io", causes)
    spec["expirationSeconds"] = seconds
    spec["audiences"] = list(spec.get("audiences") or AUDIENCES)
    return spec


def _binding(api: API, namespace: str, ref: Obj | None) -> Binding | None:
    """The object a token is bound to, which must exist (with the uid given, if any)."""
    if not ref:
        return None
    kind = ref.get("kind", "")
    key = BOUND_KINDS.get(kind)
    if key is None:
        raise bad_request(f'cannot bind token to object of kind "{kind}": use Pod, Secret or Node')
    where = "" if kind == "Node" else namespace
    obj = api.store.get(key, where, ref.get("name", ""))
    if obj is None:
        raise not_found(key[1], ref.get("name", ""))
    uid = obj["metadata"]["uid"]
    if ref.get("uid") and ref["uid"] != uid:
        raise APIError(409, "Conflict", f"the UID in the bound object reference ({ref['uid']}) "
                       f"does not match the UID in record. The object might have been deleted "
                       "and then recreated")  # fmt: skip
    node = None
    if kind == "Pod" and obj["spec"].get("nodeName"):
        found = api.store.get(("", "nodes"), "", obj["spec"]["nodeName"])
        if found is not None:
            node = (found["metadata"]["name"], found["metadata"]["uid"])
    return Binding(kind, obj["metadata"]["name"], uid, node)


def create_token(api: API, issuer: Issuer, target: Target, body: Any) -> Obj:
    """POST serviceaccounts/{name}/token: a signed token for the account (TokenRequest)."""
    account = api.get(target.rtype, target.ns, target.name)
    spec = _token_spec(body, target.name)
    bound = _binding(api, target.ns, spec.get("boundObjectRef"))
    token, expires = issuer.issue(account, spec["audiences"], spec["expirationSeconds"], bound)
    when = datetime.datetime.fromtimestamp(expires, datetime.UTC)
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": target.name, "namespace": target.ns, "creationTimestamp": None},
        "spec": spec,
        "status": {"token": token, "expirationTimestamp": meta.rfc3339(when)},
    }


class AccountsController:
    """Every live namespace has a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap
    (re-created when deleted), as the serviceaccounts and root-ca-cert-publisher controllers do."""

    def __init__(self, api: API, ca: bytes) -> None:
        """React to the store's events."""
        self.api, self.ca = api, ca.decode()
        api.store.listeners.append(self._on_event)

    def _on_event(self, event: Event) -> None:
        md, kind = event.obj["metadata"], event.obj.get("kind")
        if event.type == "ADDED" and kind == "Namespace":
            namespace = md["name"]
        elif event.type == "DELETED" and (
            (kind == "ServiceAccount" and md["name"] == "default")
            or (kind == "ConfigMap" and md["name"] == ROOT_CA)
        ):
            namespace = md["namespace"]
        else:
            return
        asyncio.get_running_loop().call_soon(self._ensure, namespace)

    def ensure_all(self) -> None:
        """Fill in every namespace that exists now (at start)."""
        for ns in self.api.store.items(("", "namespaces")):
            self._ensure(ns["metadata"]["name"])

    def _ensure(self, namespace: str) -> None:
        ns = self.api.store.get(("", "namespaces"), "", namespace)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return
        wanted = (
            (SERVICE_ACCOUNTS, {"metadata": {"name": "default"}}),
            (CONFIGMAPS, {"metadata": {"name": ROOT_CA}, "data": {"ca.crt": self.ca}}),
        )
        for key, body in wanted:
            rtype = self.api.registry.for_key(key)
            if rtype is None or self.api.store.get(key, namespace, body["metadata"]["name"]):
                continue
            try:
                self.api.create(rtype, namespace, copy.deepcopy(body), Options())
            except APIError as error:  # created meanwhile, or the namespace is going away
                log.debug("%s in %s not created: %s", key[1], namespace, error.message)
