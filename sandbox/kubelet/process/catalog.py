"""Image catalog: maps image references to local commands (first fnmatch match wins)."""

from __future__ import annotations

import dataclasses
import fnmatch
import pathlib
import sys
from typing import Any

import yaml


class CatalogError(ValueError):
    """The catalog file is malformed; the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class CatalogImage:
    """One catalog entry resolved for a concrete image reference."""

    match: str
    command: tuple[str, ...]
    env: dict[str, str]
    workdir: pathlib.Path


@dataclasses.dataclass(frozen=True)
class Catalog:
    """An ordered list of image entries loaded from a YAML file."""

    entries: tuple[CatalogImage, ...]

    def resolve(self, image: str) -> CatalogImage | None:
        """Return the first entry whose pattern matches the whole image reference."""
        for entry in self.entries:
            if fnmatch.fnmatchcase(image, entry.match):
                return entry
        return None


def _python(word: str) -> str:
    """Replace the word "python" with the sandbox's own interpreter."""
    return sys.executable if word == "python" else word


def _entry(raw: Any, index: int, base: pathlib.Path) -> CatalogImage:
    """Validate and build one catalog entry."""
    where = f"images[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("match"), str):
        raise CatalogError(f"{where}: needs a string 'match' (an fnmatch pattern on the image)")
    command = raw.get("command", [])
    if not isinstance(command, list) or not all(isinstance(c, str) for c in command):
        raise CatalogError(f"{where}.command: must be a list of strings")
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise CatalogError(f"{where}.env: must be a mapping of names to values")
    workdir = raw.get("workdir", ".")
    if not isinstance(workdir, str):
        raise CatalogError(f"{where}.workdir: must be a string path")
    return CatalogImage(
        match=raw["match"],
        command=tuple(_python(c) if i == 0 else c for i, c in enumerate(command)),
        env={str(k): str(v) for k, v in env.items()},
        workdir=(base / workdir).resolve(),
    )


def load_catalog(path: pathlib.Path | None) -> Catalog:
    """Load the catalog YAML; no file means an empty catalog (every image fails to pull)."""
    if path is None:
        return Catalog(entries=())
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read image catalog {path}: {exc}") from exc
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list):
        raise CatalogError(f"{path}: expected a top-level 'images:' list")
    base = path.resolve().parent
    return Catalog(entries=tuple(_entry(raw, i, base) for i, raw in enumerate(images)))
