"""One vocabulary: every reason is a registered Reason with a unique name, and documented."""
# The Release's backup reasons live in their own module: they are Events, never conditions.

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from gitops.api import Reason, index_reasons
from gitops.release import reasons as release_reasons
from gitops.release.backup import reasons as backup_reasons
from gitops.sync import reasons as sync_reasons

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "operator" / "gitops"
SCRIPT = ROOT / "scripts" / "operator_docs.py"
REGISTRIES = {"Release": release_reasons, "Backup": backup_reasons, "GitSync": sync_reasons}
HOMES = {PACKAGE / "release" / "reasons.py", PACKAGE / "release" / "backup" / "reasons.py"}
HOMES |= {PACKAGE / "sync" / "reasons.py"}


@pytest.mark.parametrize("kind", REGISTRIES)
def test_reason_names_are_unique_and_all_registered(kind: str) -> None:
    if kind == "Backup":  # Release Events too: no name may mean two things on one Release
        assert not set(backup_reasons.BY_NAME) & set(release_reasons.BY_NAME)
    module = REGISTRIES[kind]
    defined = [v for v in vars(module).values() if isinstance(v, Reason)]
    assert len({r.name for r in defined}) == len(defined), "two reasons share a name"
    assert sorted(module.BY_NAME.values(), key=lambda r: r.name) == sorted(
        defined, key=lambda r: r.name
    )


def test_a_second_reason_with_a_taken_name_is_refused() -> None:
    first = Reason.normal("Synced", "a")
    with pytest.raises(ValueError, match="two reasons are named Synced"):
        index_reasons({"A": first, "B": Reason.warning("Synced", "b")})
    assert index_reasons({"A": first, "B": first}) == {"Synced": first}


def _calls(path: Path) -> list[tuple[str, ast.Call]]:
    """(function name, call) for every call in a source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            found.append((name, node))
    return found


def test_no_reason_is_made_outside_the_reasons_modules() -> None:
    """Read from the source: importing every module would register the handlers with kopf."""
    homes = HOMES
    for path in PACKAGE.rglob("*.py"):
        for _, call in _calls(path):
            func = call.func
            owner = func.value if isinstance(func, ast.Attribute) else func
            if isinstance(owner, ast.Name) and owner.id == "Reason":
                assert path in homes, f"{path.relative_to(ROOT)}:{call.lineno} makes a Reason"


def test_events_and_outcomes_never_take_a_literal_reason() -> None:
    """A reason reaches an Event only from a Reason, so the table below lists every one."""
    positions = {"create_event": 2, "Event": 1, "Outcome": 0, "outcome": 0}
    for path in PACKAGE.rglob("*.py"):
        for name, call in _calls(path):
            index = positions.get(name)
            if index is None or len(call.args) <= index:
                continue
            arg = call.args[index]
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            assert not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)), where


def test_every_phase_and_reason_is_in_the_operations_doc() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    doc = (ROOT / "docs" / "operations.md").read_text()
    for module in REGISTRIES.values():
        for reason in module.BY_NAME.values():
            assert f"| `{reason.name}` | {reason.event_type} |" in doc


def test_a_stale_doc_is_caught_and_rewritten(tmp_path: Path) -> None:
    doc = tmp_path / "operations.md"
    original = (ROOT / "docs" / "operations.md").read_text()
    doc.write_text(original.replace("| `SnapshotTaken` |", "| `SnapshotMade` |"))
    check = [sys.executable, str(SCRIPT), "--check", "--doc", str(doc)]
    stale = subprocess.run(check, capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert "out of date" in stale.stderr
    rewrite = [sys.executable, str(SCRIPT), "--doc", str(doc)]
    subprocess.run(rewrite, capture_output=True, check=True)
    assert doc.read_text() == original


def test_a_doc_without_its_markers_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "operations.md"
    doc.write_text("# Operations\n")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--doc", str(doc)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "must hold each of these lines once" in done.stderr
    assert doc.read_text() == "# Operations\n"
