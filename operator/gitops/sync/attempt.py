"""The acts of one sync attempt: fetch, build and check, apply and prune (no decision here).

Each act ends in its own failure reason (FetchFailed, BuildFailed, ValidationFailed,
ApplyFailed, PruneFailed); what to do between them is the plan's (gitops.sync.plan), asked
by gitops.sync.reconcile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitops.api import API_VERSION, GITSYNC_KIND
from gitops.kube import Kube, KubeError, namespaced
from gitops.sync import reasons
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
from gitops.sync.plan import DEFAULT_RETRY, RetryPolicy
from gitops.sync.prune import run_prune
from gitops.sync.reasons import Outcome, outcome
from gitops.sync.status import Attempt

Manifest = dict[str, Any]


@dataclass(frozen=True)
class SyncConfig:
    """What the operator's settings give every GitSync."""

    kubectl: str
    work_dir: Path
    cluster_kinds: frozenset[str] = frozenset()
    retry: RetryPolicy = DEFAULT_RETRY


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
        return ObjectRef(API_VERSION, GITSYNC_KIND, self.namespace, self.name)

    @property
    def destination(self) -> str:
        """The namespace every namespaced object of its build must land in."""
        return self.spec.target_namespace or self.namespace

    @property
    def label(self) -> str:
        """The ownership label value of this GitSync."""
        return owner_label_value(self.namespace, self.name)

    def repo_dir(self, config: SyncConfig) -> Path:
        """Where its repository is cached."""
        return config.work_dir / "gitsync" / self.namespace / self.name


@dataclass(frozen=True)
class Fetched:
    """The tip of the branch, fetched into the cache; `secrets` must never reach a message."""

    commit: str
    repo_dir: Path
    secrets: list[str] = field(default_factory=list, repr=False)

    def scrubbed(self, attempt: Attempt) -> Attempt:
        """The attempt with every secret value taken out of its message."""
        if attempt.outcome is None:
            return attempt
        clean = scrub(attempt.outcome.message, self.secrets)
        return replace(attempt, outcome=replace(attempt.outcome, message=clean))


@dataclass(frozen=True)
class Built:
    """The commit's objects, checked and dry-run, in apply order."""

    commit: str
    objects: list[Manifest]

    @property
    def inventory(self) -> list[ObjectRef]:
        """What applying them leaves in the inventory."""
        return inventory_of(self.objects)


async def read_credentials(kube: Kube, namespace: str, secret: str | None) -> Credentials | None:
    """The git credentials in the referenced Secret, or None without a secretRef."""
    if not secret:
        return None
    found = await kube.get(namespaced("v1", "secrets", namespace, secret))
    if found is None:
        raise CredentialsError(f"Secret {namespace}/{secret} (spec.secretRef) was not found")
    return Credentials.from_secret(f"{namespace}/{secret}", found.get("data") or {})


async def run_fetch(kube: Kube, config: SyncConfig, target: Target) -> Fetched | Outcome:
    """Fetch the tip of the branch with the Secret's credentials, or say why it failed."""
    spec, repo_dir = target.spec, target.repo_dir(config)
    where = {"branch": spec.branch, "url": spec.url}
    try:
        creds = await read_credentials(kube, target.namespace, spec.secret_name)
    except (CredentialsError, KubeError) as error:
        return outcome(reasons.FETCH_FAILED, **where, error=error)
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
        return outcome(reasons.FETCH_FAILED, **where, error=f"{error}{hint}")
    return Fetched(commit, repo_dir, secrets)


async def run_build(
    catalog: Catalog, config: SyncConfig, target: Target, fetched: Fetched
) -> Built | Attempt:
    """Check out the commit, build it, check every object and dry-run them all."""
    spec, commit, short = target.spec, fetched.commit, fetched.commit[:12]
    try:
        with git_environment(None) as env:
            await asyncio.to_thread(
                checkout, fetched.repo_dir, commit, timeout=spec.timeout, env=env
            )
        text = await asyncio.to_thread(
            build_overlay, config.kubectl, fetched.repo_dir, spec.path, timeout=spec.timeout
        )
    except FetchError as error:
        return Attempt(outcome(reasons.FETCH_FAILED, branch=spec.branch, url=spec.url, error=error))
    except BuildError as error:
        failed = outcome(reasons.BUILD_FAILED, path=spec.path, commit=short, error=error)
        return Attempt(failed, commit)
    try:
        async with asyncio.timeout(spec.timeout):
            objects = await _checked_objects(catalog, config, target, text)
            problems = await dry_run_all(catalog, objects)
        if problems:
            raise ValidationError("; ".join(problems))
    except ValidationError as error:
        failed = outcome(reasons.VALIDATION_FAILED, commit=short, error=error)
    except (KubeError, ValueError) as error:
        failed = outcome(reasons.APPLY_FAILED, commit=short, error=error)
    except TimeoutError:
        failed = outcome(reasons.APPLY_FAILED, commit=short, error=_slow(spec))
    else:
        return Built(commit, objects)
    return Attempt(failed, commit)


def _slow(spec: SyncSpec) -> str:
    """The message for an API server that took longer than the spec's timeout."""
    return f"the API server did not finish within spec.timeout ({spec.timeout:g}s)"


async def _checked_objects(
    catalog: Catalog, config: SyncConfig, target: Target, text: str
) -> list[Manifest]:
    """The built objects, parsed, namespaced, labelled and ordered."""
    objects = parse_manifests(text)
    scopes = await catalog.scopes([ObjectRef.of(obj) for obj in objects])
    return check_objects(
        objects,
        namespace=target.destination,
        label=target.label,
        namespaced=lambda version, kind: scopes.get((version, kind)),
        cluster_kinds=config.cluster_kinds,
    )


async def apply_build(
    catalog: Catalog, target: Target, built: Built, doomed: list[ObjectRef]
) -> Attempt:
    """Apply every object, then prune the objects the plan named (`doomed`)."""
    commit, short, previous = built.commit, built.commit[:12], target.inventory
    inventory = built.inventory
    try:
        async with asyncio.timeout(target.spec.timeout):
            applied = await apply_all(catalog, built.objects)
    except ApplyError as error:
        kept = sorted(set(previous) | set(error.applied))
        return Attempt(outcome(reasons.APPLY_FAILED, commit=short, error=error), commit, kept)
    except TimeoutError:
        # Any of the objects may have been applied: keep them all in the inventory.
        kept = sorted(set(previous) | set(inventory))
        slow = outcome(reasons.APPLY_FAILED, commit=short, error=_slow(target.spec))
        return Attempt(slow, commit, kept)
    result = await run_prune(catalog, doomed, target.label)
    if result.problems:
        failed = outcome(reasons.PRUNE_FAILED, commit=short, error="; ".join(result.problems))
        return Attempt(failed, commit, sorted(set(inventory) | set(result.failed)), len(applied))
    done = outcome(reasons.SYNCED, commit=short, applied=len(applied), pruned=len(result.deleted))
    return Attempt(done, commit, inventory, len(applied), result.deleted)
