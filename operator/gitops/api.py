"""The operator's vocabulary, shared by both controllers: API names, labels, reasons (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

GROUP = "gitops.myfoodbudget.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

RELEASE_KIND, RELEASE_PLURAL = "Release", "releases"
GITSYNC_KIND, GITSYNC_PLURAL = "GitSync", "gitsyncs"

# Who the operator is, on the objects it owns and on the Events it records.
COMPONENT = "myfoodbudget-operator"
SYNC_FIELD_MANAGER = "gitops-sync"  # server-side apply of what a GitSync applies
FINALIZER = f"{GROUP}/finalizer"

# Labels
RELEASE_LABEL = f"{GROUP}/release"  # the owning Release, on its Deployment, pods and Jobs
JOB_KIND_LABEL = f"{GROUP}/job"  # snapshot, restore, backup or vacuum, on a Release's Jobs
GITSYNC_LABEL = f"{GROUP}/gitsync"  # <namespace>_<name> of the GitSync that applied an object

# Annotations
RETRY_ANNOTATION = f"{GROUP}/retry"  # on a Release: a new value retries its failedImage
RESTORE_ANNOTATION = f"{GROUP}/restore"  # on a Release: restore REF (removed once taken up)
BACKUP_REQUEST_ANNOTATION = f"{GROUP}/backup-requested"  # on a Release: a new value backs up now
TEMPLATE_HASH_ANNOTATION = f"{GROUP}/template-hash"  # on the owned Deployment
SYNC_REQUEST_ANNOTATION = f"{GROUP}/sync-requested"  # on a GitSync: a new value syncs now

# Condition statuses (metav1.Condition)
TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"

EventType = Literal["Normal", "Warning"]
NORMAL: EventType = "Normal"
WARNING: EventType = "Warning"


@dataclass(frozen=True)
class Reason:
    """A CamelCase condition and Event reason, the type of its Event, and its message template."""

    name: str
    event_type: EventType
    template: str

    @classmethod
    def normal(cls, name: str, template: str) -> Reason:
        """A reason whose Event is Normal: things going as they should."""
        return cls(name, NORMAL, template)

    @classmethod
    def warning(cls, name: str, template: str) -> Reason:
        """A reason whose Event is a Warning: something failed or needs a person."""
        return cls(name, WARNING, template)

    def message(self, **values: object) -> str:
        """The template filled with values."""
        return self.template.format(**values)


def index_reasons(namespace: Mapping[str, object]) -> dict[str, Reason]:
    """The Reasons defined in a module's namespace, by name; a name given twice is refused."""
    found: dict[str, Reason] = {}
    for value in namespace.values():
        if not isinstance(value, Reason) or found.get(value.name) is value:
            continue
        if value.name in found:
            raise ValueError(f"two reasons are named {value.name}; give each its own name")
        found[value.name] = value
    return found
