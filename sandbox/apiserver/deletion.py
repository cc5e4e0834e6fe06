"""DELETE: preconditions, graceful pod deletion, finalizers and propagation policies."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sandbox.apiserver import meta
from sandbox.apiserver.errors import bad_request, conflict, status_body
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import ResourceType, Target
from sandbox.apiserver.store import Obj
from sandbox.apiserver.verbs import API

POLICIES = ("Background", "Foreground", "Orphan")


def _policy(body: dict[str, Any], query: Mapping[str, str]) -> str:
    policy = body.get("propagationPolicy") or query.get("propagationPolicy")
    orphan = body.get("orphanDependents", query.get("orphanDependents"))
    if policy is None and orphan in (True, "true", "True", "1"):
        policy = "Orphan"
    if policy not in (None, *POLICIES):
        raise bad_request(
            f'Unsupported value: "{policy}": supported values: "Background", "Foreground", "Orphan"'
        )
    return policy or "Background"


def _grace(rtype: ResourceType, obj: Obj, body: dict[str, Any], query: Mapping[str, str]) -> int:
    """The grace period asked for, or the kind's default; 0 for what is deleted at once."""
    value = body.get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
    graceful = rtype.strategy.deletion_grace
    default = graceful(obj) if graceful is not None else None
    if default is None:
        return 0
    if value is None:
        value = default
    try:
        return max(0, int(value))
    except ValueError:
        raise bad_request(f"invalid gracePeriodSeconds {value!r}") from None


def _check_preconditions(rtype: ResourceType, obj: Obj, body: dict[str, Any]) -> None:
    pre = body.get("preconditions") or {}
    md, name = obj["metadata"], obj["metadata"]["name"]
    if pre.get("uid") and pre["uid"] != md["uid"]:
        why = (
            f"Precondition failed: UID in precondition: {pre['uid']}, "
            f"UID in object meta: {md['uid']}"
        )
        raise conflict(rtype.plural, name, rtype.group, why)
    rv = pre.get("resourceVersion")
    if rv and rv != md["resourceVersion"]:
        why = (
            f"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in "
            f"object meta: {md['resourceVersion']}"
        )
        raise conflict(rtype.plural, name, rtype.group, why)


def delete(
    api: API, target: Target, body: dict[str, Any], query: Mapping[str, str], opts: Options
) -> Obj:
    """Delete now, or mark for deletion while finalizers or a grace period remain."""
    rtype = target.rtype
    old = api.get(rtype, target.ns, target.name)
    _check_preconditions(rtype, old, body)
    policy, grace = _policy(body, query), _grace(rtype, old, body, query)
    new = copy.deepcopy(old)
    md = new["metadata"]
    finalizers = list(md.get("finalizers") or [])
    if not md.get("deletionTimestamp"):
        extra = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(policy)
        if extra and extra not in finalizers and _has_dependents(api, md["uid"]):
            finalizers.append(extra)
    deleting_now = grace == 0 and not finalizers and not _namespace_pending(rtype, new)
    if deleting_now:
        return new if opts.dry_run else api.store.remove(rtype.key, old)
    if md.get("deletionTimestamp") and grace >= (md.get("deletionGracePeriodSeconds") or 0):
        return old
    when = meta.now() + dt.timedelta(seconds=grace)
    md["deletionTimestamp"] = meta.rfc3339(when)
    md["deletionGracePeriodSeconds"] = grace
    if finalizers:
        md["finalizers"] = finalizers
    if "generation" in md and not old["metadata"].get("deletionTimestamp"):
        md["generation"] += 1
    if rtype.kind == "Namespace":
        new.setdefault("status", {})["phase"] = "Terminating"
    return api.commit(rtype, old, new, opts)


def _namespace_pending(rtype: ResourceType, obj: Obj) -> bool:
    return rtype.kind == "Namespace" and bool((obj.get("spec") or {}).get("finalizers"))


def _has_dependents(api: API, uid: str) -> bool:
    return any(
        ref.get("uid") == uid
        for _, obj in api.store.all_objects()
        for ref in obj["metadata"].get("ownerReferences") or []
    )


def answers_status(rtype: ResourceType, obj: Obj) -> bool:
    """Whether a DELETE that removed `obj` answers a `Status` rather than the object."""
    gone = not obj["metadata"].get("deletionTimestamp")
    return gone and not rtype.custom and not rtype.strategy.returns_deleted


def success(rtype: ResourceType, obj: Obj) -> dict[str, Any]:
    """The `Status` a DELETE answers when the object is gone."""
    md = obj["metadata"]
    details = {"name": md["name"], "group": rtype.group, "kind": rtype.plural, "uid": md["uid"]}
    return status_body(0, "", "", details, "Success")
