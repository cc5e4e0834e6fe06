"""Every message template of the operator, rendered with sample values: no clause says the
same thing twice, and each call names exactly the fields its template has."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from gitops.api import Reason
from gitops.release import reasons as release_reasons
from gitops.release.backup import reasons as backup_reasons
from gitops.sync import reasons as sync_reasons
from support.wording import repeated_clauses

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "operator" / "gitops"
# The module each reasons alias names where the templates are filled in.
ALIASES = {"R": release_reasons, "B": backup_reasons, "reasons": sync_reasons}
REASONS = [
    (f"{module.__name__.split('.')[-2]}.{name}", reason)
    for module in (release_reasons, backup_reasons, sync_reasons)
    for name, reason in module.BY_NAME.items()
]
# What the callers put in each field, as they write it.
SAMPLES = {
    "applied": "12", "aside": "failed-20260101T000000Z.db", "branch": "main",
    "cause": "container is in CrashLoopBackOff", "claim": "myfoodbudget-data",
    "commit": "1a2b3c4", "copy": "offsite", "count": "3",
    "data": "database restored from mfb-20260101T000000Z-1.2.db",
    "database": "myfoodbudget.db", "deleted": "2 objects", "detail": "; watched 30s",
    "done": "restore done", "error": "disk full", "failed": "ghcr.io/o/myfoodbudget:1.3",
    "file": "mfb-20260101T000000Z-1.2.db", "free": "1.2 GiB", "id": "4f5e6d7c",
    "image": "ghcr.io/o/myfoodbudget:1.3", "incident": "ContainerRestarted",
    "job": "mfb-snapshot-4", "kept": "", "limit": "60", "next_step": "rolling back to 1.2",
    "note": "", "offsite": "", "old": "ghcr.io/o/myfoodbudget:1.1", "path": "kustomize/prod",
    "percent": "91", "period": "1d", "phase": "RollingOut", "pod": "mfb-7d9f-abcde",
    "policy": "IfSchemaChanged", "previous": "ghcr.io/o/myfoodbudget:1.2", "pruned": "0",
    "ready": "0", "ref": "latest", "replicas": "1", "schema": "5", "seconds": "30",
    "serving": "ghcr.io/o/myfoodbudget:1.2", "since": "2026-01-01T00:00:00Z", "size": "8192",
    "target": "ghcr.io/o/myfoodbudget:1.3", "termination": "Error, exit code 1: boom",
    "timeout": "300", "url": "https://github.com/o/r.git", "used": "9 GiB",
    "wanted": "ghcr.io/o/myfoodbudget:1.4", "watch": "restarts, readiness",
    "what": "the newest backup", "when": "2026-01-01T00:00:00Z", "why": "Paused",
    "work": "restore",
}  # fmt: skip


def fields(template: str) -> set[str]:
    """The fields a template names."""
    return {f.split("!")[0] for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize(("name", "reason"), REASONS, ids=[name for name, _ in REASONS])
def test_a_rendered_template_says_each_thing_once(name: str, reason: Reason) -> None:
    missing = fields(reason.template) - set(SAMPLES)
    assert not missing, f"{name} names {missing}: give them a sample value here"
    message = reason.message(**{f: SAMPLES[f] for f in fields(reason.template)})
    assert not repeated_clauses(message), message
    assert "{" not in message, message
    assert "  " not in message, message


def test_the_check_catches_a_repeated_clause() -> None:
    said_twice = "database kept: schema version 5 unchanged since the snapshot: database kept"
    assert repeated_clauses(said_twice) == ["database kept", "database kept"]
    assert repeated_clauses("Job x is restoring snapshot y (IfSchemaChanged)") == []


def _filled(path: Path) -> list[tuple[int, Reason, ast.Call]]:
    """Each `R.NAME.message(...)` or `outcome(reasons.NAME, ...)` call of a source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func, target = node.func, None
        if isinstance(func, ast.Attribute) and func.attr == "message":
            target = func.value
        elif isinstance(func, ast.Name) and func.id == "outcome" and node.args:
            target = node.args[0]
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)):
            continue
        module = ALIASES.get(target.value.id)
        reason = getattr(module, target.attr, None) if module else None
        if isinstance(reason, Reason):
            found.append((node.lineno, reason, node))
    return found


def test_every_call_fills_the_fields_its_template_names() -> None:
    calls = [(path, *call) for path in PACKAGE.rglob("*.py") for call in _filled(path)]
    assert len(calls) > 60  # the parse found the calls
    for path, line, reason, call in calls:
        given = {k.arg for k in call.keywords if k.arg is not None}
        spread = any(k.arg is None for k in call.keywords)  # **values: only a subset is known
        wanted = fields(reason.template)
        where = f"{path.relative_to(ROOT)}:{line} ({reason.name})"
        assert given <= wanted, f"{where} passes {given - wanted}, which the template never names"
        assert spread or given == wanted, f"{where} leaves out {wanted - given}"
