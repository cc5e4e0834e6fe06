"""Query-string and header parsing shared by the HTTP handlers, and the write options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sandbox.apiserver.errors import bad_request

TRUE = ("true", "True", "1")


@dataclass
class Options:
    """Per-request write options from the query string."""

    dry_run: bool = False
    field_manager: str = ""
    field_validation: str = "Warn"
    force: bool = False
    warnings: list[str] = field(default_factory=list)


def flag(query: Mapping[str, str], name: str) -> bool:
    """A boolean query parameter: `true`, `True` and `1` all count."""
    return query.get(name, "") in TRUE


def integer(query: Mapping[str, str], name: str) -> int | None:
    """An integer query parameter, or None."""
    value = query.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"invalid value for {name}: {value!r}: must be an integer") from None


def write_options(query: Mapping[str, str], all_dry_run: list[str]) -> Options:
    """`dryRun`, `fieldManager`, `fieldValidation` and `force` of a write."""
    for value in all_dry_run:
        if value != "All":
            raise bad_request(f'Unsupported value: "{value}": supported values: "All"')
    validation = query.get("fieldValidation", "Warn") or "Warn"
    if validation not in ("Strict", "Warn", "Ignore"):
        raise bad_request(
            f'fieldValidation "{validation}" is invalid: valid options are Ignore, Warn, Strict'
        )
    return Options(
        dry_run=bool(all_dry_run),
        field_manager=query.get("fieldManager", ""),
        field_validation=validation,
        force=flag(query, "force"),
    )


def wants(accept: str, what: str) -> bool:
    """Whether the Accept header asks for `as=<what>` (Table, PartialObjectMetadataList...)."""
    return any(f"as={what}" in part.replace(" ", "") for part in accept.split(","))
