"""The app's code stays readable: modules under 300 lines, functions under 40.

A module or function may be longer with a one-line reason on its first line (a comment
starting `# size:`), so an exception is visible where it is made.
"""

from __future__ import annotations

import ast
from pathlib import Path

from apphelpers import ROOT

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 40
REASON = "# size:"


def app_modules() -> list[Path]:
    """Every Python file of the app."""
    return sorted((ROOT / "app").rglob("*.py"))


def too_long(path: Path, root: Path = ROOT) -> list[str]:
    """The module and functions of path over their limit without a reason beside them."""
    lines = path.read_text().splitlines()
    name = path.relative_to(root)
    found = []
    if len(lines) > MAX_MODULE_LINES and REASON not in lines[0]:
        found.append(f"{name}: {len(lines)} lines")
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > MAX_FUNCTION_LINES and REASON not in lines[node.lineno - 1]:
            found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_the_check_sees_the_app() -> None:
    names = {p.name for p in app_modules()}
    assert {"__init__.py", "db.py", "money.py"} <= names


def test_no_module_over_300_lines_and_no_function_over_40() -> None:
    found = [problem for path in app_modules() for problem in too_long(path)]
    assert found == [], "split these (or give a one-line '# size:' reason): " + "; ".join(found)


def test_the_check_finds_a_long_function_and_module(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    long_one = tmp_path / "app" / "long.py"
    long_one.parent.mkdir()
    long_one.write_text(f"def f():\n{body}\n\n\ndef g():  {REASON} a table\n{body}\n")
    problems = too_long(long_one, tmp_path)
    assert problems == [f"app/long.py:1 f: {MAX_FUNCTION_LINES + 1} lines"]
    big = tmp_path / "app" / "big.py"
    big.write_text("\n".join(f"x{i} = {i}" for i in range(MAX_MODULE_LINES + 1)))
    assert too_long(big, tmp_path) == [f"app/big.py: {MAX_MODULE_LINES + 1} lines"]
