"""Image catalog: maps image references to local commands (first fnmatch match wins).

An entry keeps the image's ENTRYPOINT (`entrypoint:`) apart from its CMD (`cmd:`), as an
image's config does: a pod's `args` replace the CMD and keep the ENTRYPOINT, its `command`
replaces both.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import pathlib
from typing import Any

import yaml


class CatalogError(ValueError):
    """The catalog file is malformed; the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class CatalogImage:
    """One catalog entry resolved for a concrete image reference."""

    match: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
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


def _words(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A list of strings (an exec form), empty when left out."""
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise CatalogError(f'{where}.{key}: must be a list of strings, e.g. ["python", "app.py"]')
    return tuple(value)


def _entry(raw: Any, index: int, base: pathlib.Path) -> CatalogImage:
    """Validate and build one catalog entry."""
    where = f"images[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("match"), str):
        raise CatalogError(f"{where}: needs a string 'match' (an fnmatch pattern on the image)")
    unknown = sorted(set(raw) - {"match", "entrypoint", "cmd", "env", "workdir"})
    if unknown:
        raise CatalogError(
            f"{where}: unknown key {', '.join(unknown)}: an image has `entrypoint` (its "
            "ENTRYPOINT, kept when a pod sets args) and `cmd` (its CMD, replaced by args), "
            "`env` and `workdir`"
        )
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise CatalogError(f"{where}.env: must be a mapping of names to values")
    workdir = raw.get("workdir", ".")
    if not isinstance(workdir, str):
        raise CatalogError(f"{where}.workdir: must be a string path")
    return CatalogImage(
        match=raw["match"],
        entrypoint=_words(raw, "entrypoint", where),
        cmd=_words(raw, "cmd", where),
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
        raise CatalogError(f"{path}: expected a top-level `images:` list")
    base = path.resolve().parent
    return Catalog(entries=tuple(_entry(raw, i, base) for i, raw in enumerate(images)))
