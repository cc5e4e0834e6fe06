"""No import cycles in app, gitops, sandbox and scripts: between modules, or between packages.

Every import counts, wherever it stands (module level, inside a function, under
TYPE_CHECKING), so moving an import into a function does not hide a cycle. Packages count
too: two sibling packages may not import each other, even through different modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# top-level package -> the folder it lives in
PACKAGES = {"app": ROOT, "gitops": ROOT / "operator", "sandbox": ROOT, "scripts": ROOT}
# Cycles that exist and are being taken apart; each entry must still be a cycle (delete it
# once it is gone), and no other cycle may appear.
KNOWN: set[frozenset[str]] = set()
Graph = dict[str, set[str]]


def modules() -> dict[str, Path]:
    """Every module of the packages by dotted name (a package by its own name)."""
    found = {}
    for package, base in PACKAGES.items():
        for path in sorted((base / package).rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names one import statement asks for (a module, or a module's attribute)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = module.split(".") if is_package else module.split(".")[:-1]
        if node.level:
            base = base[: len(base) - node.level + 1]
            origin = ".".join([*base, *([node.module] if node.module else [])])
        else:
            origin = node.module or ""
        # each name is a submodule, or else an attribute of `origin` (resolved to it)
        yield from (f"{origin}.{alias.name}" for alias in node.names)


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The project module a dotted name lives in (its longest known prefix), if any."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(known: dict[str, Path]) -> Graph:
    """module -> the project modules it imports."""
    graph: Graph = {}
    for module, path in known.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for name in _imported(node, module, path.name == "__init__.py"):
                target = _resolve(name, known)
                if target is not None and target != module:
                    targets.add(target)
        graph[module] = targets
    return graph


def cycles(graph: Graph) -> list[frozenset[str]]:
    """The strongly connected components of more than one node (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, edges = work[-1]
            step = next((w for w in edges if w not in index or w in stack), None)
            if step is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = stack[stack.index(node) :]
                    del stack[stack.index(node) :]
                    if len(part) > 1:
                        found.append(frozenset(part))
            elif step in index:
                low[node] = min(low[node], index[step])
            else:
                index[step] = low[step] = len(index)
                stack.append(step)
                work.append((step, iter(sorted(graph[step]))))
    return found


def package_graph(graph: Graph, known: dict[str, Path]) -> Graph:
    """package -> the packages it imports, leaving out imports along one line of descent."""

    def package(module: str) -> str:
        return module if known[module].name == "__init__.py" else module.rpartition(".")[0]

    def related(a: str, b: str) -> bool:
        return a == b or a.startswith(b + ".") or b.startswith(a + ".")

    packages: Graph = {}
    for module, targets in graph.items():
        mine = package(module)
        theirs = {package(t) for t in targets}
        packages.setdefault(mine, set()).update(p for p in theirs if not related(mine, p))
        for other in theirs:
            packages.setdefault(other, set())
    return packages


def _shown(cycle: frozenset[str], graph: Graph) -> str:
    edges = [f"{a} -> {b}" for a in sorted(cycle) for b in sorted(graph[a] & cycle)]
    return f"{sorted(cycle)}: " + ", ".join(edges)


@pytest.fixture(scope="module")
def graph() -> Graph:
    """The import graph of the project's modules."""
    return import_graph(modules())


def test_the_walk_sees_the_imports_of_every_package(graph: Graph) -> None:
    """A sanity check of the walk itself: known edges, and function-level imports, show."""
    assert {"app", "gitops", "sandbox", "scripts.validate_manifests"} <= set(graph)
    assert "sandbox.cluster" in graph["sandbox.cli"]
    assert "sandbox.apiserver.registry" in graph["sandbox.kinds"]
    assert "gitops.release.builders" in graph["scripts.validate_manifests"]  # in a function
    found = cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert found == [frozenset({"a", "b", "c"})]


def test_no_module_imports_itself_back(graph: Graph) -> None:
    found = set(cycles(graph))
    new = [_shown(c, graph) for c in found - KNOWN]
    assert not new, "import cycles (break each by moving what both sides need below them):\n" + (
        "\n".join(new)
    )
    gone = [sorted(c) for c in KNOWN - found]
    assert not gone, f"these cycles are gone: remove them from KNOWN: {gone}"


def test_no_two_packages_import_each_other(graph: Graph) -> None:
    packages = package_graph(graph, modules())
    found = [_shown(c, packages) for c in cycles(packages)]
    assert not found, "packages that import each other:\n" + "\n".join(found)
