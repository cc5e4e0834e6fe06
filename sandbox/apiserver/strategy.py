"""How the API server treats one built-in kind: its rules, kept in one place per kind.

Kubernetes keeps these in each kind's registry strategy: defaults, validation, the fields an
update may not change, the columns `kubectl get` prints, the field labels a field selector
may use. Each module of sandbox/kinds/ fills in one Strategy; the server only reads them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from sandbox.apiserver import meta
from sandbox.apiserver.errors import cause
from sandbox.apiserver.structs import Shape

Obj = dict[str, Any]
Cause = dict[str, str]
Cell = Callable[[Obj], Any]


class Column(NamedTuple):
    """One column of `kubectl get`: its name, type, priority (1: only with -o wide), cell."""

    name: str
    type: str
    priority: int
    cell: Cell


class Subresource(NamedTuple):
    """A subresource discovery lists beyond status and scale (e.g. pods/binding)."""

    name: str
    kind: str
    verbs: tuple[str, ...]


def _no_defaults(_obj: Obj, _old: Obj | None) -> None:
    """Nothing to fill in."""


def _no_causes(_obj: Obj) -> list[Cause]:
    """Nothing to refuse."""
    return []


def _all_mutable(_old: Obj, _new: Obj) -> list[Cause]:
    """Every field may change."""
    return []


@dataclasses.dataclass(frozen=True)
class Strategy:
    """The rules of one built-in kind; every field has the default most kinds want."""

    # fill in defaults; `old` is None on create (some defaults apply only then)
    defaults: Callable[[Obj, Obj | None], None] = _no_defaults
    validate: Callable[[Obj], list[Cause]] = _no_causes  # 422 causes for a bad object
    immutable: Callable[[Obj, Obj], list[Cause]] = _all_mutable  # (old, new) -> 422 causes
    # after validation: fill in what needs a valid object (a CRD's accepted names and status)
    admit: Callable[[Obj, Obj | None], Obj] | None = None
    columns: tuple[Column, ...] = ()  # none: NAME and AGE
    field_labels: frozenset[str] = frozenset()  # beyond metadata.name and metadata.namespace
    name_causes: Callable[[str], list[Cause]] = meta.subdomain_name
    omit_zero_status: tuple[str, ...] = ()  # Go `omitempty` status counters
    # what Go always writes (structs that are no pointers, scalars without omitempty), in the
    # stored form; a second served version's from_storage writes its own
    shape: Shape = dataclasses.field(default_factory=dict)
    kept_on_update: tuple[str, ...] = ()  # spec fields an update keeps when it leaves them out
    annotations_bump_generation: bool = False
    check_unknown_fields: bool = True  # against the Kubernetes 1.37 schemas (Strict, Warn)
    returns_deleted: bool = False  # DELETE answers the deleted object rather than a Status
    # graceful deletion: the default grace period of an object, None when it goes at once
    deletion_grace: Callable[[Obj], int | None] | None = None
    subresources: tuple[Subresource, ...] = ()
    # the Scale's status.selector (default: the spec's label selector, formatted)
    scale_selector: Callable[[Obj], str] | None = None
    # another served version of a stored kind (events.k8s.io/v1 of core/v1 Events)
    to_storage: Callable[[Obj], Obj] | None = None
    from_storage: Callable[[Obj], Obj] | None = None


def _get(obj: Obj, path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def immutable_fields(*paths: str) -> Callable[[Obj, Obj], list[Cause]]:
    """An `immutable` rule: these dotted fields keep the value they were given first."""

    def check(old: Obj, new: Obj) -> list[Cause]:
        causes = []
        for path in paths:
            before, after = _get(old, path), _get(new, path)
            if before != after and before is not None:
                shown = json.dumps(after, separators=(",", ":"))
                message = f"Invalid value: {shown}: field is immutable"
                causes.append(cause(path, "FieldValueInvalid", message))
        return causes

    return check
