"""One sync attempt: credentials, fetch, build, check, dry-run, apply, prune."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path

from gitops.kube import Kube, KubeError, namespaced
from gitops.sync import GROUP, KIND, VERSION, reasons
from gitops.sync.apply import ApplyError, apply_all, dry_run_all
from gitops.sync.build import BuildError, build_overlay
from gitops.sync.credentials import Credentials, CredentialsError, git_environment, scrub
from gitops.sync.fetch import FetchError, checkout, fetch_branch
from gitops.sync.kubeapi import Catalog
from gitops.sync.model import ObjectRef, SyncSpec
from gitops.sync.objects import (
    ValidationError,
    check_objects,
    inventory_of,
    owner_label_value,
    parse_manifests,
)
from gitops.sync.plan import DEFAULT_RETRY, Observed, RetryPolicy, Step, SyncStatus, decide
from gitops.sync.prune import decide_prune, run_prune
from gitops.sync.reasons import outcome
from gitops.sync.status import Attempt


@dataclass(frozen=True)
class SyncConfig:
    """What the operator's settings give every GitSync."""

    kubectl: str
    work_dir: Path
    cluster_kinds: frozenset[str] = frozenset()
    retry: RetryPolicy = DEFAULT_RETRY
    poll: float = 1.0


@dataclass(frozen=True)
class Target:
    """The GitSync being synced, and what it asked for."""

    namespace: str
    name: str
    spec: SyncSpec
    inventory: list[ObjectRef]

    @property
    def ref(self) -> ObjectRef:
        """The GitSync's own reference."""
        return ObjectRef(f"{GROUP}/{VERSION}", KIND, self.namespace, self.name)

    @property
    def label(self) -> str:
        """The ownership label value of this GitSync."""
        return owner_label_value(self.namespace, self.name)


async def read_credentials(kube: Kube, namespace: str, secret: str | None) -> Credentials | None:
    """The git credentials in the referenced Secret, or None without a secretRef."""
    if not secret:
        return None
    found = await kube.get(namespaced("v1", "secrets", namespace, secret))
    if found is None:
        raise CredentialsError(f"Secret {namespace}/{secret} (spec.secretRef) was not found")
    return Credentials.from_secret(f"{namespace}/{secret}", found.get("data") or {})


async def run_attempt(
    kube: Kube, config: SyncConfig, target: Target, status: SyncStatus, observed: Observed
) -> Attempt:
    """Fetch the branch; apply its build unless it is already applied."""
    spec = target.spec
    repo_dir = config.work_dir / "gitsync" / target.namespace / target.name
    fail = {"branch": spec.branch, "url": spec.url}
    try:
        creds = await read_credentials(kube, target.namespace, spec.secret_name)
    except (CredentialsError, KubeError) as error:
        return Attempt(outcome(reasons.FETCH_FAILED, **fail, error=error))
    secrets = creds.secrets() if creds else []
    try:
        with git_environment(creds) as env:
            commit = await asyncio.to_thread(
                fetch_branch,
                spec.url,
                spec.branch,
                repo_dir,
                timeout=spec.timeout,
                env=env,
                secrets=secrets,
            )
    except FetchError as error:
        hint = f" (using the credentials in Secret {creds.secret})" if creds else ""
        return Attempt(outcome(reasons.FETCH_FAILED, **fail, error=f"{error}{hint}"))
    action = decide(spec, status, replace(observed, commit=commit))
    if action.step is Step.UP_TO_DATE:
        return Attempt(None, commit)
    attempt = await _apply_commit(kube, config, target, repo_dir, commit)
    if attempt.outcome is not None:
        clean = scrub(attempt.outcome.message, secrets)
        attempt = replace(attempt, outcome=replace(attempt.outcome, message=clean))
    return attempt


async def _apply_commit(
    kube: Kube, config: SyncConfig, target: Target, repo_dir: Path, commit: str
) -> Attempt:
    """Build the commit and bring the cluster to it, or say which step failed and why."""
    spec, short = target.spec, commit[:12]
    try:
        with git_environment(None) as env:
            await asyncio.to_thread(checkout, repo_dir, commit, timeout=spec.timeout, env=env)
        text = await asyncio.to_thread(
            build_overlay, config.kubectl, repo_dir, spec.path, timeout=spec.timeout
        )
    except FetchError as error:
        return Attempt(outcome(reasons.FETCH_FAILED, branch=spec.branch, url=spec.url, error=error))
    except BuildError as error:
        return Attempt(
            outcome(reasons.BUILD_FAILED, path=spec.path, commit=short, error=error), commit
        )
    catalog = Catalog(kube)
    try:
        async with asyncio.timeout(spec.timeout):
            objects = await _checked_objects(catalog, config, target, text)
            problems = await dry_run_all(catalog, objects)
        if problems:
            raise ValidationError("; ".join(problems))
    except ValidationError as error:
        return Attempt(outcome(reasons.VALIDATION_FAILED, commit=short, error=error), commit)
    except (KubeError, ValueError) as error:
        return Attempt(outcome(reasons.APPLY_FAILED, commit=short, error=error), commit)
    except TimeoutError:
        return Attempt(outcome(reasons.APPLY_FAILED, commit=short, error=_slow(spec)), commit)
    return await _apply_and_prune(catalog, target, objects, commit)


def _slow(spec: SyncSpec) -> str:
    """The message for an API server that took longer than the spec's timeout."""
    return f"the API server did not finish within spec.timeout ({spec.timeout:g}s)"


async def _checked_objects(
    catalog: Catalog, config: SyncConfig, target: Target, text: str
) -> list[dict]:
    """The built objects, parsed, namespaced, labelled and ordered."""
    objects = parse_manifests(text)
    scopes = await catalog.scopes([ObjectRef.of(obj) for obj in objects])
    return check_objects(
        objects,
        namespace=target.namespace,
        label=target.label,
        namespaced=lambda version, kind: scopes.get((version, kind)),
        cluster_kinds=config.cluster_kinds,
    )


async def _apply_and_prune(
    catalog: Catalog, target: Target, objects: list[dict], commit: str
) -> Attempt:
    """Apply every object, then prune what the build dropped."""
    short, previous = commit[:12], target.inventory
    inventory = inventory_of(objects)
    try:
        async with asyncio.timeout(target.spec.timeout):
            applied = await apply_all(catalog, objects)
    except ApplyError as error:
        kept = sorted(set(previous) | set(error.applied))
        return Attempt(outcome(reasons.APPLY_FAILED, commit=short, error=error), commit, kept)
    except TimeoutError:
        # Any of the objects may have been applied: keep them all in the inventory.
        kept = sorted(set(previous) | set(inventory))
        slow = outcome(reasons.APPLY_FAILED, commit=short, error=_slow(target.spec))
        return Attempt(slow, commit, kept)
    if not target.spec.prune:
        done = outcome(reasons.SYNCED, commit=short, applied=len(applied), pruned=0)
        return Attempt(done, commit, inventory, len(applied))
    result = await run_prune(catalog, decide_prune(previous, inventory, target.ref), target.label)
    if result.problems:
        failed = outcome(reasons.PRUNE_FAILED, commit=short, error="; ".join(result.problems))
        return Attempt(failed, commit, sorted(set(inventory) | set(result.failed)), len(applied))
    done = outcome(reasons.SYNCED, commit=short, applied=len(applied), pruned=len(result.deleted))
    return Attempt(done, commit, inventory, len(applied), result.deleted)
