#!/usr/bin/env python3
"""Set one `images:` entry of a kustomization to an image reference, keeping comments and order.

Usage: bump_image.py KUSTOMIZATION NAME=REFERENCE
  KUSTOMIZATION  a kustomization.yaml, or the folder that holds one
  NAME           the `name:` of an existing entry under `images:` (e.g. myfoodbudget)
  REFERENCE      registry/repository[:tag][@sha256:<64 hex>]
                 (e.g. ghcr.io/o/myfoodbudget:sha-1a2b3c4@sha256:0123...)

Like `kustomize edit set image NAME=REFERENCE`: sets newName, newTag and digest (dropping a
newTag or digest the reference lacks). Exit status: 0 the file changed, 2 it already said that,
1 an error (the file is left untouched).
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

EXIT_CHANGED, EXIT_ERROR, EXIT_UNCHANGED = 0, 1, 2

# The distribution reference grammar (github.com/distribution/reference), sha256 digests only.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+)(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
_REFERENCE = re.compile(
    rf"(?P<name>{_NAME})(?::(?P<tag>[\w][\w.-]{{0,127}}))?(?:@(?P<digest>sha256:[0-9a-f]{{64}}))?"
)
_ENTRY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]*")


class BumpError(Exception):
    """A refusal: the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Reference:
    """A parsed image reference."""

    name: str
    tag: str | None
    digest: str | None


def parse_reference(text: str) -> Reference:
    """Parse registry/repository[:tag][@sha256:hex] or raise BumpError."""
    match = _REFERENCE.fullmatch(text)
    if match is None or len(match["name"]) > 255:
        raise BumpError(
            f"malformed image reference {text!r}: expected registry/repository[:tag]"
            "[@sha256:<64 lowercase hex>], e.g. ghcr.io/owner/myfoodbudget:sha-1a2b3c4@sha256:..."
        )
    return Reference(match["name"], match["tag"], match["digest"])


def parse_assignment(text: str) -> tuple[str, Reference]:
    """Split NAME=REFERENCE and parse both halves."""
    name, sep, ref = text.partition("=")
    if not sep or not _ENTRY_NAME.fullmatch(name):
        raise BumpError(
            f"expected NAME=REFERENCE (e.g. myfoodbudget=ghcr.io/o/app:v1), got {text!r}"
        )
    return name, parse_reference(ref)


def kustomization_path(arg: str) -> Path:
    """Resolve a kustomization file, or the kustomization.yaml inside a folder."""
    path = Path(arg)
    if path.is_dir():
        path = path / "kustomization.yaml"
    if not path.is_file():
        raise BumpError(f"{path}: no such file; pass a kustomization.yaml or its folder")
    return path


def _yaml() -> YAML:
    """A round-trip YAML that keeps comments, quotes and this repository's indentation."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def find_entry(document: Any, name: str, path: Path) -> Any:
    """Return the single `images:` entry called name."""
    images = document.get("images") if isinstance(document, dict) else None
    if not isinstance(images, list):
        raise BumpError(f"{path}: has no `images:` list; add an entry named {name!r} first")
    found = [e for e in images if isinstance(e, dict) and e.get("name") == name]
    if not found:
        known = ", ".join(str(e.get("name")) for e in images if isinstance(e, dict)) or "none"
        raise BumpError(f"{path}: no `images:` entry named {name!r} (entries: {known})")
    if len(found) > 1:
        raise BumpError(f"{path}: {len(found)} `images:` entries are named {name!r}; keep one")
    return found[0]


def apply_reference(entry: Any, ref: Reference) -> bool:
    """Set newName/newTag/digest on entry; return whether anything changed."""
    before = dict(entry)
    wanted = {"newName": ref.name, "newTag": ref.tag, "digest": ref.digest}
    for key, value in wanted.items():
        if value is None:
            entry.pop(key, None)
        elif entry.get(key) != value:
            entry[key] = value
    return dict(entry) != before


def write_atomically(path: Path, text: str) -> None:
    """Replace path's content in one rename, keeping its permissions."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def bump(kustomization: str, assignment: str) -> int:
    """Do the edit; return the exit status."""
    name, ref = parse_assignment(assignment)
    path = kustomization_path(kustomization)
    yaml = _yaml()
    try:
        document = yaml.load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise BumpError(f"{path}: not valid YAML ({exc.__class__.__name__}); fix it first") from exc
    entry = find_entry(document, name, path)
    if not apply_reference(entry, ref):
        print(f"{path}: {name} already set to {format_reference(ref)}")
        return EXIT_UNCHANGED
    out = io.StringIO()
    yaml.dump(document, out)
    write_atomically(path, out.getvalue())
    print(f"{path}: {name} set to {format_reference(ref)}")
    return EXIT_CHANGED


def format_reference(ref: Reference) -> str:
    """Render a reference back to text."""
    tag = f":{ref.tag}" if ref.tag else ""
    digest = f"@{ref.digest}" if ref.digest else ""
    return f"{ref.name}{tag}{digest}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] in {"-h", "--help"}:
        stream = sys.stdout if args[:1] in (["-h"], ["--help"]) else sys.stderr
        print((__doc__ or "").strip(), file=stream)
        return 0 if stream is sys.stdout else EXIT_ERROR
    try:
        return bump(args[0], args[1])
    except BumpError as exc:
        print(f"bump_image: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"bump_image: error: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
