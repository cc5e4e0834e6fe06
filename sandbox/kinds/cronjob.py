"""CronJob: stored with its defaults and shown by `kubectl get cronjobs` (no controller runs it)."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import tables
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.apiserver.structs import POD_TEMPLATE
from sandbox.kinds.common import AGE, NAME, spec, status

Obj = dict[str, Any]


def defaults(obj: Obj, _old: Obj | None) -> None:
    """Concurrency, suspension and the history limits."""
    cron_spec = obj.setdefault("spec", {})
    cron_spec.setdefault("concurrencyPolicy", "Allow")
    cron_spec.setdefault("suspend", False)
    cron_spec.setdefault("successfulJobsHistoryLimit", 3)
    cron_spec.setdefault("failedJobsHistoryLimit", 1)


KIND = ResourceType(
    "batch",
    "v1",
    "CronJob",
    "cronjobs",
    short_names=("cj",),
    status=True,
    generation=True,
    categories=("all",),
    strategy=Strategy(
        defaults=defaults,
        columns=(
            NAME,
            Column("Schedule", "string", 0, lambda o: spec(o).get("schedule", "")),
            Column("Timezone", "string", 0, lambda o: spec(o).get("timeZone", "<none>")),
            Column("Suspend", "boolean", 0, lambda o: spec(o).get("suspend", False)),
            Column("Active", "integer", 0, lambda o: len(status(o).get("active") or [])),
            Column(
                "Last Schedule",
                "string",
                0,
                lambda o: tables.age(status(o).get("lastScheduleTime")),
            ),
            AGE,
        ),
        shape={
            "spec": {"jobTemplate": {"metadata": {}, "spec": {"template": POD_TEMPLATE}}},
            "status": {},
        },
    ),
)
