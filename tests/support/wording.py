"""What the wording tests look for in a message: a clause said twice."""

from __future__ import annotations

import re

# A message's clauses: the parts between ; : , ( ) and " - ".
CLAUSE_BREAKS = re.compile(r"[;:,()]| - ")


def clauses(message: str) -> list[str]:
    """The clauses of a message, lower-cased, blanks dropped."""
    return [part.strip().lower() for part in CLAUSE_BREAKS.split(message) if part.strip()]


def repeated_clauses(message: str) -> list[str]:
    """Clauses of several words that come twice, or again inside a longer one."""
    found = []
    parts = clauses(message)
    for index, part in enumerate(parts):
        if len(part.split()) < 2:
            continue
        others = parts[:index] + parts[index + 1 :]
        if any(part == other or re.search(rf"\b{re.escape(part)}\b", other) for other in others):
            found.append(part)
    return found
