"""The small JSONPath subset used by CRD printer columns (`.a.b`, `[0]`, `[*]`, `[?(@.k=="v")]`)."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"""\.([A-Za-z0-9_$-]+)|\[(\d+|\*)\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*["']([^"']*)["']\)\]|\[['"]([^'"]+)['"]\]"""
)


def _tokens(path: str) -> list[tuple[str, ...]]:
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    text = text.removeprefix("$")
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ValueError(f"unsupported JSONPath {path!r}")
        tokens.append(match.groups())
        pos = match.end()
    return tokens


def find(obj: Any, path: str) -> list[Any]:
    """Every value the path selects, in document order."""
    nodes = [obj]
    for name, index, fkey, fvalue, quoted in _tokens(path):
        step: list[Any] = []
        for node in nodes:
            if name or quoted:
                key = name or quoted
                if isinstance(node, dict) and key in node:
                    step.append(node[key])
            elif index == "*":
                step.extend(node if isinstance(node, list) else (node or {}).values())
            elif index is not None:
                if isinstance(node, list) and int(index) < len(node):
                    step.append(node[int(index)])
            elif isinstance(node, list):
                step.extend(i for i in node if _dotted(i, fkey) == fvalue)
        nodes = step
    return nodes


def _dotted(node: Any, path: str) -> Any:
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return None if node is None else str(node).lower() if isinstance(node, bool) else str(node)
