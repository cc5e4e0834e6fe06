"""Admission: the metadata rules every object meets, then its kind's strategy or CRD schema."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import meta, schema, strict, structs
from sandbox.apiserver.errors import bad_request, invalid
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import ResourceType

Obj = dict[str, Any]


def admit(rtype: ResourceType, obj: Obj, old: Obj | None, opts: Options) -> Obj:
    """Defaults, validation and output normalisation of one write (`old` None on create)."""
    causes = rtype.strategy.name_causes(obj["metadata"]["name"])
    causes += meta.label_causes(obj["metadata"])
    if causes:
        raise invalid(rtype.kind, obj["metadata"]["name"], rtype.group, causes)
    obj = _custom(rtype, obj, opts) if rtype.custom else _builtin(rtype, obj, old, opts)
    meta.normalize_times(obj["metadata"])
    meta.omit_empty_meta(obj["metadata"])
    return obj


def _builtin(rtype: ResourceType, obj: Obj, old: Obj | None, opts: Options) -> Obj:
    """A built-in kind: unknown fields, nulls, defaults, validation, then its output rules."""
    rules = rtype.strategy
    if rules.check_unknown_fields and opts.field_validation != "Ignore":
        _unknown(strict.unknown_fields(obj), opts)
    obj = meta.drop_nulls(obj)
    rules.defaults(obj, old)
    causes = rules.validate(obj)
    if causes:
        raise invalid(rtype.kind, obj["metadata"]["name"], rtype.group, causes)
    if rules.admit is not None:
        obj = rules.admit(obj, old)
    status = obj.get("status")
    if isinstance(status, dict):  # Go `omitempty`: zero counters are not sent
        for key in rules.omit_zero_status:
            if status.get(key) == 0:
                del status[key]
    meta.normalize_times(obj)
    return structs.sort_maps(structs.fill(obj, rules.shape))


def _custom(rtype: ResourceType, obj: Obj, opts: Options) -> Obj:
    """A custom resource: pruned, defaulted and validated against its version's schema."""
    result, unknown, causes = schema.process(obj, rtype.schema or {})
    _unknown(unknown, opts)
    if causes:
        raise invalid(rtype.kind, obj["metadata"]["name"], rtype.group, causes)
    return result


def _unknown(fields: list[str], opts: Options) -> None:
    """`fieldValidation`: unknown fields fail (Strict), warn (Warn) or pass (Ignore)."""
    if opts.field_validation == "Ignore":
        return
    if fields and opts.field_validation == "Strict":
        shown = ", ".join(f'unknown field "{u}"' for u in fields)
        raise bad_request(f"strict decoding error: {shown}")
    opts.warnings.extend(f'unknown field "{u}"' for u in fields)
