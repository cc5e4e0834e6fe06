"""The operator's code map, held to the code: sizes and layers.

docs/architecture.md describes the same rules for people; tests/test_import_cycles.py finds
import cycles in every package, the operator's included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "operator" / "gitops"
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 300, 40
LONG = "# long:"  # a function may be longer with this and a reason on its `def` line

# Modules that decide and never touch the world: what they may import of gitops is pure too.
PURE = (
    "gitops.api",
    "gitops.clock",
    "gitops.conditions",
    "gitops.events",
    "gitops.images",
    "gitops.release.fields",
    "gitops.release.gates",
    "gitops.retention",
    "gitops.sizes",
    "gitops.release.backup",
    "gitops.release.maintenance",
    "gitops.release.spec",
    "gitops.release.records",
    "gitops.release.state",
    "gitops.release.actions",
    "gitops.release.observed",
    "gitops.release.reasons",
    "gitops.release.plan",
    "gitops.sync.model",
    "gitops.sync.plan",
    "gitops.sync.reasons",
    "gitops.sync.status",
)
WORLD = {"asyncio", "subprocess", "socket", "os", "sqlite3", "shutil", "tempfile", "time"}
WORLD |= {"kopf", "kubernetes", "aiohttp", "urllib3", "prometheus_client", "smtplib"}
# The Job commands and what they share: the standard library, restic, nothing of the controllers.
JOB_COMMANDS = (
    "gitops.snapshot",
    "gitops.restore",
    "gitops.preflight",
    "gitops.backup",
    "gitops.vacuum",
    "gitops.offsite",
    "gitops.restic",
    "gitops.dbfiles",
    "gitops.diskspace",
    "gitops.retention",
    "gitops.sizes",
)


def module_name(path: Path) -> str:
    """gitops.x.y for operator/gitops/x/y.py (a package by its own name)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """Every module `name` imports, at the top or inside a function (gitops ones resolved)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(SOURCES[name].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & set(SOURCES)
            found |= submodules
            if len(submodules) < len(node.names):  # names taken from the module itself
                found.add(node.module)
    return found


def gitops_imports(name: str) -> set[str]:
    """The gitops modules `name` imports."""
    return {m for m in imports(name) if m in SOURCES and m != name}


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    """True when name is one of the modules or packages named by prefixes."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_modules_and_functions_are_short_enough_to_read(name: str) -> None:
    text = SOURCES[name].read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{name} is over {MAX_MODULE_LINES} lines"
    lines = text.splitlines()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            justified = LONG in lines[node.lineno - 1]
            assert length <= MAX_FUNCTION_LINES or justified, f"{name}.{node.name}: {length}"


@pytest.mark.parametrize("name", [n for n in sorted(SOURCES) if within(n, PURE)])
def test_pure_modules_import_only_pure_ones(name: str) -> None:
    for other in gitops_imports(name):
        assert within(other, PURE), f"{name} (pure) imports {other}"
    world = {m.split(".")[0] for m in imports(name)} & WORLD
    assert not world, f"{name} (pure) imports {sorted(world)}"


def test_only_the_handlers_and_the_entry_point_import_kopf() -> None:
    users = {name for name in SOURCES if "kopf" in {m.split(".")[0] for m in imports(name)}}
    assert users == {"gitops.handlers", "gitops.__main__"}


def test_the_controllers_do_not_import_each_other() -> None:
    for name in SOURCES:
        for other in gitops_imports(name):
            assert not (within(name, ("gitops.release",)) and within(other, ("gitops.sync",)))
            assert not (within(name, ("gitops.sync",)) and within(other, ("gitops.release",)))


@pytest.mark.parametrize("name", JOB_COMMANDS)
def test_the_job_commands_need_nothing_of_the_controllers(name: str) -> None:
    assert gitops_imports(name) <= {*JOB_COMMANDS, "gitops.images"}
