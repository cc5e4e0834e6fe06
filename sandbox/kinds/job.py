"""Job (NonIndexed): defaults, the generated selector and labels, `kubectl get jobs`."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import tables
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy, immutable_fields
from sandbox.apiserver.structs import POD_TEMPLATE
from sandbox.kinds.common import AGE, NAME, spec, status
from sandbox.kinds.podspec import pod_spec_defaults, template_causes

Obj = dict[str, Any]


def defaults(obj: Obj, _old: Obj | None) -> None:
    """Counts, back-off limit, mode; a selector on the job's uid unless one is given."""
    job_spec = obj.setdefault("spec", {})
    job_spec.setdefault("parallelism", 1)
    job_spec.setdefault("completions", 1)
    job_spec.setdefault("backoffLimit", 6)
    job_spec.setdefault("completionMode", "NonIndexed")
    job_spec.setdefault("suspend", False)
    job_spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    template = job_spec.setdefault("template", {})
    pod_spec_defaults(template.setdefault("spec", {}))
    if not job_spec.get("manualSelector") and "selector" not in job_spec:
        uid, name = obj["metadata"]["uid"], obj["metadata"]["name"]
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels.update(
            {
                "batch.kubernetes.io/controller-uid": uid,
                "controller-uid": uid,
                "batch.kubernetes.io/job-name": name,
                "job-name": name,
            }
        )
        job_spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


def validate(obj: Obj) -> list[Cause]:
    """A pod template restarted OnFailure or Never (its selector, when given, matching it)."""
    return template_causes(obj, ("OnFailure", "Never"), selector_required=False)


def _status_cell(obj: Obj) -> str:
    conditions = {c.get("type"): c.get("status") for c in status(obj).get("conditions") or []}
    for kind in ("Complete", "Failed"):
        if conditions.get(kind) == "True":
            return kind
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for kind in ("SuccessCriteriaMet", "FailureTarget", "Suspended"):
        if conditions.get(kind) == "True":
            return kind
    return "Running"


def _duration(obj: Obj) -> str:
    start = tables.since(status(obj).get("startTime"))
    end = tables.since(status(obj).get("completionTime"))
    if start is None:
        return ""
    return tables.human_duration((start - (end or start * 0)).total_seconds())


def _completions(obj: Obj) -> str:
    return f"{status(obj).get('succeeded', 0)}/{spec(obj).get('completions', 1)}"


KIND = ResourceType(
    "batch",
    "v1",
    "Job",
    "jobs",
    status=True,
    generation=True,
    categories=("all",),
    strategy=Strategy(
        defaults=defaults,
        validate=validate,
        immutable=immutable_fields("spec.selector", "spec.template", "spec.completionMode"),
        columns=(
            NAME,
            Column("Status", "string", 0, _status_cell),
            Column("Completions", "string", 0, _completions),
            Column("Duration", "string", 0, _duration),
            AGE,
        ),
        field_labels=frozenset({"status.successful"}),
        omit_zero_status=("active", "succeeded", "failed"),
        shape={"spec": {"template": POD_TEMPLATE}, "status": {}},
    ),
)
