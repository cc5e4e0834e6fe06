"""Observe the world of one Release: its Deployment, ReplicaSets, pods, Jobs and claim."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from gitops.api import JOB_KIND_LABEL, RELEASE_LABEL, TEMPLATE_HASH_ANNOTATION
from gitops.kube import Kube, namespaced
from gitops.release.backup.jobs import backup_running
from gitops.release.builders import selector_labels
from gitops.release.maintenance import Step
from gitops.release.observed import DeploymentView, JobView, Observed, PodView
from gitops.release.plan.queries import condense
from gitops.release.podprobe import probe
from gitops.release.preflightpod import KIND as PREFLIGHT_KIND
from gitops.release.spec import ReleaseSpec
from gitops.release.state import Rollout
from gitops.settings import Settings

Body = dict[str, Any]
REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"


def _container(pod_spec: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The container called name in a pod spec ({} when absent)."""
    containers = pod_spec.get("containers") or []
    return next((c for c in containers if c.get("name") == name), {})


def _revision(obj: Mapping[str, Any]) -> int:
    """The deployment.kubernetes.io/revision annotation as a number (0 when absent)."""
    value = (obj.get("metadata", {}).get("annotations") or {}).get(REVISION, "0")
    return int(value) if str(value).isdigit() else 0


def _owned_by(obj: Mapping[str, Any], uid: str) -> bool:
    """True when obj has an ownerReference to uid."""
    return any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])


def current_hash(deployment: Body, replicasets: list[Body]) -> str:
    """The pod-template-hash of the Deployment's newest ReplicaSet ('' when none)."""
    uid = deployment["metadata"].get("uid", "")
    owned = [rs for rs in replicasets if _owned_by(rs, uid)]
    if not owned:
        return ""
    wanted = _revision(deployment)
    newest = next((rs for rs in owned if wanted and _revision(rs) == wanted), None)
    newest = newest or max(owned, key=_revision)
    return str((newest["metadata"].get("labels") or {}).get(HASH_LABEL, ""))


def build_pod_view(pod: Body, container: str) -> PodView:
    """What the plan needs of one pod; a terminating pod is never ready nor failing."""
    image = str(_container(pod.get("spec") or {}, container).get("image", ""))
    node = str((pod.get("spec") or {}).get("nodeName") or "")
    name = str(pod["metadata"].get("name") or "")
    if pod["metadata"].get("deletionTimestamp"):
        return PodView(image=image, node_name=node, name=name)
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    statuses = status.get("containerStatuses") or []
    state: Mapping[str, Any] = next((s for s in statuses if s.get("name") == container), {})
    waiting = (state.get("state") or {}).get("waiting") or {}
    terminated = (state.get("lastState") or {}).get("terminated") or {}
    return PodView(
        image=image,
        ready=ready,
        restart_count=int(state.get("restartCount") or 0),
        waiting_reason=str(waiting.get("reason") or ""),
        node_name=node,
        name=name,
        last_termination=describe_termination((state.get("lastState") or {}).get("terminated")),
        last_exit=str(terminated.get("reason") or ""),
    )


def describe_termination(ended: object) -> str:
    """'Error, exit code 1: <message>' of a container's last run ('' when it has none)."""
    if not isinstance(ended, Mapping) or not ended:
        return ""
    text = f"{ended.get('reason') or 'Terminated'}, exit code {ended.get('exitCode', '?')}"
    message = condense(str(ended.get("message") or ""))
    return f"{text}: {message}" if message else text


def build_deployment_view(
    deployment: Body, pods: list[Body], new_hash: str, container: str
) -> DeploymentView:
    """The Deployment's spec and status, and how many pods still run an older template."""
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    template_spec = (spec.get("template") or {}).get("spec") or {}
    image = str(_container(template_spec, container).get("image", ""))
    if new_hash:
        old = [p for p in pods if (p["metadata"].get("labels") or {}).get(HASH_LABEL) != new_hash]
    else:
        old = [p for p in pods if build_pod_view(p, container).image != image]
    annotations = deployment["metadata"].get("annotations") or {}
    return DeploymentView(
        image=image,
        replicas=int(spec.get("replicas", 1)),
        generation=int(deployment["metadata"].get("generation") or 0),
        observed_generation=int(status.get("observedGeneration") or 0),
        updated_replicas=int(status.get("updatedReplicas") or 0),
        ready_replicas=int(status.get("readyReplicas") or 0),
        available_replicas=int(status.get("availableReplicas") or 0),
        old_pods=len(old),
        template_hash=str(annotations.get(TEMPLATE_HASH_ANNOTATION, "")),
    )


def _outcome(job: Body) -> Literal["Complete", "Failed"] | None:
    """Complete or Failed from the Job's conditions; None while it runs."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") in ("Complete", "SuccessCriteriaMet"):
            return "Complete"
        if condition.get("type") in ("Failed", "FailureTarget"):
            return "Failed"
    return None


def build_job_view(job: Body, pods: list[Body]) -> JobView:
    """A Job's outcome and the JSON result its pod left in the termination message."""
    name = job["metadata"]["name"]
    mine = [p for p in pods if (p["metadata"].get("labels") or {}).get("job-name") == name]
    result, text = None, ""
    for pod in mine:
        for state in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (state.get("state") or {}).get("terminated") or {}
            text = str(terminated.get("message") or "").strip() or text
    if text:
        try:
            parsed = json.loads(text.splitlines()[-1])
            result = parsed if isinstance(parsed, dict) else None
        except ValueError:
            result = None  # not JSON: a crash; the text itself becomes the message below
    conditions = (job.get("status") or {}).get("conditions") or []
    why = next(
        (str(c.get("message") or c.get("reason")) for c in conditions if c.get("type") == "Failed"),
        "",
    )
    message = text[-500:] if result is None and text else why
    return JobView(name=name, outcome=_outcome(job), result=result, message=message)


def named_jobs(spec: ReleaseSpec, status: Mapping[str, Any]) -> list[str]:
    """The Jobs a status names besides the rollout's: its maintenance steps', the backup's."""
    rollout = Rollout.from_status(status)
    names = []
    if rollout is not None and rollout.maintenance is not None:
        work = rollout.maintenance
        names = [work.job_name(spec.name, rollout.number, step) for step in Step]
    running = backup_running(status)
    return [*names, running] if running else names


async def observe(kube: Kube, release: Body, spec: ReleaseSpec, settings: Settings) -> Observed:
    """Read everything the plan looks at, concurrently."""
    status = release.get("status") or {}
    rollout = Rollout.from_status(status)
    others = named_jobs(spec, status)
    got, listed = await _read(kube, release, spec, rollout, others)
    deployment, pvc, *job_bodies = got
    replicasets, pods, job_pods = listed
    app_pods = [p for p in pods if JOB_KIND_LABEL not in (p["metadata"].get("labels") or {})]
    preflight = [p for p in job_pods if _kind(p) == PREFLIGHT_KIND]
    probed = await probe(kube, settings, spec, rollout, app_pods=app_pods, preflight=preflight)
    view = None
    if deployment is not None:
        new_hash = current_hash(deployment, replicasets)
        view = build_deployment_view(deployment, app_pods, new_hash, spec.container)
    snapshot_job, restore_job, copy_job, clean_job, *found = (
        build_job_view(job, job_pods) if job else None for job in job_bodies
    )
    return Observed(
        now=datetime.now(UTC),
        deployment=view,
        pods=tuple(build_pod_view(p, spec.container) for p in app_pods),
        snapshot_job=snapshot_job,
        restore_job=restore_job,
        copy_job=copy_job,
        clean_job=clean_job,
        preflight_pods=probed.preflight_pods,
        checks=probed.checks,
        metrics=probed.metrics,
        pvc_exists=pvc is not None,
        jobs={name: job for name, job in zip(others, found, strict=True) if job},
    )


async def _read(
    kube: Kube, release: Body, spec: ReleaseSpec, rollout: Rollout | None, others: list[str]
) -> tuple[list[Body | None], list[list[Body]]]:
    """GET the Deployment, the claim, the rollout's Jobs and `others`; list ReplicaSets and pods."""
    ns = release["metadata"]["namespace"]
    app = ",".join(f"{k}={v}" for k, v in selector_labels(release).items())
    jobs_selector = f"{RELEASE_LABEL}={spec.name},{JOB_KIND_LABEL}"
    jobs = ("",) * 4
    if rollout is not None:
        jobs = (rollout.snapshot_job, rollout.restore_job, rollout.copy_job, rollout.clean_job)
    paths = [
        namespaced("apps/v1", "deployments", ns, spec.name),
        namespaced("v1", "persistentvolumeclaims", ns, spec.snapshot.claim_name),
        *(namespaced("batch/v1", "jobs", ns, job) if job else None for job in [*jobs, *others]),
    ]
    listings = [("apps/v1", "replicasets", app), ("v1", "pods", app), ("v1", "pods", jobs_selector)]
    got, listed = await asyncio.gather(
        asyncio.gather(*(_get_named(kube, p) for p in paths)),
        asyncio.gather(*(kube.list(namespaced(g, r, ns), s) for g, r, s in listings)),
    )
    return list(got), list(listed)


def _kind(pod: Body) -> str:
    """The JOB_KIND_LABEL of a pod of the Release's ('' for the app's own)."""
    return str((pod["metadata"].get("labels") or {}).get(JOB_KIND_LABEL, ""))


async def _get_named(kube: Kube, path: str | None) -> Body | None:
    """GET an object; no path (a Job not named yet) is None."""
    return None if path is None else await kube.get(path)
