"""Image references: their grammar (the Release CRD's pattern) and their short forms (pure)."""

from __future__ import annotations

import re

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?/)?"
_TAG = r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
_DIGEST = r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
IMAGE_PATTERN = rf"^{_DOMAIN}{_COMPONENT}(?:/{_COMPONENT})*{_TAG}{_DIGEST}$"
IMAGE_RE = re.compile(IMAGE_PATTERN)
# What a refusal says instead of the pattern (the Release CRD's validation rule and the operator).
IMAGE_MESSAGE = (
    "must be an image reference [registry[:port]/]path[:tag][@sha256:digest] with a lowercase "
    "path, e.g. ghcr.io/owner/myfoodbudget:sha-1a2b3c4 or "
    "ghcr.io/owner/myfoodbudget@sha256:<64 hex>"
)


def short_image(ref: str) -> str:
    """Return the tag of an image reference, else the first 12 digest characters, else 'latest'."""
    name, _, digest = ref.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.split(":", 1)[1]
    if digest:
        return digest.split(":", 1)[-1][:12]
    return "latest"


DIGEST_SHOWN = 12  # hex characters of a digest in a short reference, as `docker images` shows


def short_reference(ref: str) -> str:
    """The repository's last path part with the tag, and the digest abbreviated.

    ghcr.io/o/myfoodbudget:1.2@sha256:<64 hex> -> myfoodbudget:1.2@sha256:<12 hex>, so a new
    repository with the same tag still shows in `kubectl get releases`.
    """
    name, _, digest = ref.partition("@")
    last = name.rsplit("/", 1)[-1]
    if not digest:
        return last
    algorithm, _, value = digest.partition(":")
    return f"{last}@{algorithm}:{value[:DIGEST_SHOWN]}"
