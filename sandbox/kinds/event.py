"""Event: served as core/v1 and as events.k8s.io/v1 over one storage, `kubectl get events`."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.apiserver import structs, tables
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy
from sandbox.apiserver.structs import Shape
from sandbox.kinds.common import NAME, required

Obj = dict[str, Any]
# events.k8s.io/v1 field -> core/v1 field
RENAMED = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}
BACK = {v: k for k, v in RENAMED.items()}


def validate(obj: Obj) -> list[Cause]:
    """An Event is about some object."""
    return [] if obj.get("involvedObject") else [required("involvedObject")]


def to_core(obj: Obj) -> Obj:
    """An events.k8s.io/v1 Event in the stored core/v1 form."""
    stored = {RENAMED.get(k, k): v for k, v in obj.items()}
    stored["apiVersion"] = "v1"
    return stored


def from_core(obj: Obj) -> Obj:
    """A stored core/v1 Event with the events.k8s.io/v1 field names."""
    renamed = {
        BACK.get(k, k): copy.deepcopy(v)
        for k, v in obj.items()
        if not (k in ("reportingComponent", "reportingInstance") and v == "")
    }
    return structs.fill(renamed, V1_SHAPE)


def _last_seen(obj: Obj) -> Any:
    """LAST SEEN as kube-apiserver prints it: a series' last time and count win."""
    first = obj.get("firstTimestamp") or obj.get("eventTime")
    series = obj.get("series") or {}
    when = series.get("lastObservedTime") or obj.get("lastTimestamp") or first
    count = series.get("count") or obj.get("count") or 1
    if count > 1 and first:
        return f"{tables.age(when)} (x{count} over {tables.age(first)})"
    return tables.age(when)


def _object(obj: Obj) -> str:
    ref = obj.get("involvedObject") or {}
    return f"{str(ref.get('kind', '')).lower()}/{ref.get('name', '')}"


COLUMNS = (
    Column("Last Seen", "string", 0, _last_seen),
    Column("Type", "string", 0, lambda o: o.get("type", "")),
    Column("Reason", "string", 0, lambda o: o.get("reason", "")),
    Column("Object", "string", 0, _object),
    Column("Message", "string", 0, lambda o: o.get("message", "")),
    NAME._replace(priority=1),
)
FIELD_LABELS = frozenset(
    {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    }
)
# core/v1: the reference and source are structs, the times null when unset, and the reporting
# fields have no omitempty; events.k8s.io/v1 renames them (and drops the empty reporting ones)
CORE_SHAPE: Shape = {
    "involvedObject": {},
    "source": {},
    "firstTimestamp": None,
    "lastTimestamp": None,
    "eventTime": None,
    "reportingComponent": "",
    "reportingInstance": "",
}
V1_SHAPE: Shape = {
    "eventTime": None,
    "regarding": {},
    "deprecatedSource": {},
    "deprecatedFirstTimestamp": None,
    "deprecatedLastTimestamp": None,
}
STRATEGY = Strategy(validate=validate, columns=COLUMNS, field_labels=FIELD_LABELS, shape=CORE_SHAPE)

KIND = ResourceType("", "v1", "Event", "events", short_names=("ev",), strategy=STRATEGY)
EVENTS_V1 = ResourceType(
    "events.k8s.io",
    "v1",
    "Event",
    "events",
    short_names=("ev",),
    stored_as=KIND.key,
    strategy=Strategy(
        validate=validate,
        columns=COLUMNS,
        field_labels=FIELD_LABELS,
        to_storage=to_core,
        from_storage=from_core,
        shape=CORE_SHAPE,
    ),
)
