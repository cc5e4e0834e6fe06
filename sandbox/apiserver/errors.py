"""Kubernetes `Status` errors raised by the API handlers."""

from __future__ import annotations

from typing import Any

# The key order of Go's Status and StatusDetails structs (clients compare and print these
# bodies): kind, apiVersion, metadata, then these, then details and code.
STATUS_ORDER = ("status", "message", "reason")
DETAILS_ORDER = ("name", "group", "kind", "uid", "causes", "retryAfterSeconds")
CAUSE_ORDER = ("reason", "message", "field")
NOT_FOUND = "the server could not find the requested resource"


def _ordered(values: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """The omitempty fields of a Go struct, in its declaration order."""
    return {k: values[k] for k in order if values.get(k) not in (None, "", 0, [])}


def status_body(
    code: int,
    reason: str,
    message: str,
    details: dict[str, Any] | None = None,
    status: str = "Failure",
) -> dict[str, Any]:
    """A `kind: Status` as the Go server encodes it; `details` None leaves the key out.

    `details` may be `{}`: the server writes `"details":{}` for paths no route serves.
    `status="Success"` for a DELETE's answer.
    """
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}}
    body.update(_ordered({"status": status, "message": message, "reason": reason}, STATUS_ORDER))
    if details is not None:
        shown = _ordered(details, DETAILS_ORDER)
        if shown.get("causes"):
            shown["causes"] = [_ordered(c, CAUSE_ORDER) for c in shown["causes"]]
        body["details"] = shown
    if code:
        body["code"] = code
    return body


class APIError(Exception):
    """An error answered as a `kind: Status` body with its HTTP code."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The HTTP code, the Status reason and message; optional details and headers."""
        super().__init__(message)
        self.meta: dict[str, Any] = {}  # the Status's list metadata (e.g. a fresh `continue`)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        """Return the `Status` object for this error."""
        body = status_body(self.code, self.reason, self.message, self.details)
        body["metadata"].update(self.meta)
        return body


def _details(resource: str, name: str, group: str) -> dict[str, Any]:
    return {"name": name, "group": group, "kind": resource}


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def no_route(in_group_version: bool) -> APIError:
    """404 for a path nothing serves; inside a served group version it has `details: {}`."""
    return APIError(404, "NotFound", NOT_FOUND, {} if in_group_version else None)


def not_found(resource: str, name: str, group: str = "") -> APIError:
    """404 for a missing object."""
    message = f'{_qualified(resource, group)} "{name}" not found'
    return APIError(404, "NotFound", message, _details(resource, name, group))


def already_exists(resource: str, name: str, group: str = "") -> APIError:
    """409 for a create of an existing name."""
    message = f'{_qualified(resource, group)} "{name}" already exists'
    return APIError(409, "AlreadyExists", message, _details(resource, name, group))


def conflict(resource: str, name: str, group: str = "", why: str = "") -> APIError:
    """409 for a stale resourceVersion or a precondition that failed."""
    why = why or (
        "the object has been modified; please apply your changes to the latest version "
        "and try again"
    )
    message = f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}'
    return APIError(409, "Conflict", message, _details(resource, name, group))


def invalid(kind: str, name: str, group: str, causes: list[dict[str, str]]) -> APIError:
    """422 with one cause per bad field."""
    summary = ", ".join(
        f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes
    )
    shown = f"[{summary}]" if len(causes) > 1 else summary
    message = f'{kind}{"." + group if group else ""} "{name}" is invalid: {shown}'
    details = {"name": name, "group": group, "kind": kind, "causes": causes}
    return APIError(422, "Invalid", message, details)


def cause(field: str, reason: str, message: str) -> dict[str, str]:
    """One `details.causes[]` entry."""
    return {"reason": reason, "message": message, "field": field}


def bad_request(message: str) -> APIError:
    """400 for a malformed request."""
    return APIError(400, "BadRequest", message)


def gone(message: str) -> APIError:
    """410 for an expired resourceVersion."""
    return APIError(410, "Expired", message)


def unsupported_media(accepted: list[str]) -> APIError:
    """415 for a patch type the resource does not accept."""
    message = (
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted)
    )
    return APIError(415, "UnsupportedMediaType", message)


def method_not_allowed(what: str) -> APIError:
    """405 for a verb the resource does not serve."""
    return APIError(405, "MethodNotAllowed", f"the server does not allow this method on {what}")


def forbidden(resource: str, name: str, group: str, why: str) -> APIError:
    """403, e.g. for content in a terminating namespace."""
    message = f'{_qualified(resource, group)} "{name}" is forbidden: {why}'
    return APIError(403, "Forbidden", message, _details(resource, name, group))
