"""PATCH: choose the patch type from the content type and apply it with the update rules."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import apply, patch_types
from sandbox.apiserver.convert import from_storage, to_storage
from sandbox.apiserver.errors import bad_request, unsupported_media
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import Target
from sandbox.apiserver.store import Obj
from sandbox.apiserver.verbs import API

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


def patch_object(
    api: API, target: Target, content_type: str, body: Any, opts: Options
) -> tuple[Obj, bool]:
    """Apply a patch; returns the stored object and whether it was created (apply only)."""
    rtype = target.rtype
    accepted = [JSON_PATCH, MERGE_PATCH, APPLY] + ([] if rtype.custom else [STRATEGIC])
    if content_type not in accepted:
        raise unsupported_media(accepted)
    if content_type == APPLY:
        return apply.server_side_apply(api, target, body, opts)
    old = api.get(rtype, target.ns, target.name)
    view = from_storage(rtype, old)
    if content_type == JSON_PATCH:
        patched = patch_types.json_patch(view, body)
    elif not isinstance(body, dict):
        raise bad_request("a merge patch must be a JSON object")
    elif content_type == MERGE_PATCH:
        patched = patch_types.merge_patch(view, body)
    else:
        patched = patch_types.strategic_merge(view, body)
    if not isinstance(patched, dict) or not isinstance(patched.get("metadata"), dict):
        raise bad_request("the patched object must be a JSON object with metadata")
    if (patched.get("kind"), patched.get("apiVersion")) != (view["kind"], view["apiVersion"]):
        raise bad_request("a patch may not change the kind or apiVersion of an object")
    return api.replace(rtype, old, to_storage(rtype, patched), opts, target.sub), False
