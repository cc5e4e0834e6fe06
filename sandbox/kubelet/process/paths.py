"""Rewrite container paths (volume mounts, termination log) to host paths at path boundaries."""

from __future__ import annotations

import re
from collections.abc import Mapping

# A container path starts where the previous character cannot belong to a path segment name,
# so "/data" matches in "sqlite:////data/x" and "--db=/data/x" but not in "/srv/data/x";
# it ends at "/", at the end, or at any character that cannot continue the segment name.
_SEGMENT_CHARS = r"A-Za-z0-9._~\-"


class PathMap:
    """An ordered set of container-path -> host-path mappings; longest prefix wins."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        """Build the matcher from container paths (absolute) to host paths."""
        self._map = {_norm(k): v for k, v in mapping.items() if _norm(k) != "/"}
        keys = sorted(self._map, key=len, reverse=True)
        if keys:
            alternatives = "|".join(re.escape(k) for k in keys)
            self._pattern: re.Pattern[str] | None = re.compile(
                rf"(?<![{_SEGMENT_CHARS}])({alternatives})(?![{_SEGMENT_CHARS}])"
            )
        else:
            self._pattern = None

    def rewrite(self, text: str) -> str:
        """Replace every container path in text by its host path."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._map[m.group(1)], text)

    def resolve(self, container_path: str) -> str | None:
        """Return the host path for a container path under a mapping, or None."""
        path = _norm(container_path)
        for key in sorted(self._map, key=len, reverse=True):
            if path == key or path.startswith(key + "/"):
                return self._map[key] + path[len(key) :]
        return None


def _norm(path: str) -> str:
    """Drop trailing slashes from a container path (keeping "/")."""
    return path.rstrip("/") or "/"
