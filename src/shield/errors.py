"""The errors Shield raises on purpose, each with a stable code and an HTTP status.

Routes never build error responses by hand: they raise one of these and the API's exception
handlers render `{"error": {"code", "message", ...}}`.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

#: Why something failed, for people and for the SLOs: the caller's `input` (a corrupt file, a
#: refused URL, a document over its budget), a `dependency` that stayed unavailable or refused
#: the work, or Shield's own fault (`internal`). Only the last two spend an error budget.
FailureCause = Literal["input", "dependency", "internal"]


def error_message(response: httpx.Response) -> str:
    """The message of an error answered by a Shield service (`{"error": {"message"}}`)."""
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or f"HTTP {response.status_code}"


class ShieldError(Exception):
    """Base of every deliberate error; `code` is stable, `message` is for people."""

    status_code = 500
    code = "internal_error"
    # Whose failure this is, when its status alone does not say (see `cause_of`).
    cause: FailureCause | None = None

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class InvalidInput(ShieldError):
    status_code = 422
    code = "invalid_input"


class NotFound(ShieldError):
    status_code = 404
    code = "not_found"


class Conflict(ShieldError):
    status_code = 409
    code = "conflict"


class Unauthorized(ShieldError):
    status_code = 401
    code = "unauthorized"


class PayloadTooLarge(ShieldError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMedia(ShieldError):
    """A file whose format Shield does not read, or whose bytes do not match its claimed type."""

    status_code = 415
    code = "unsupported_media_type"


class Forbidden(ShieldError):
    """A target the egress policy refuses (a private address, a path outside the inbox)."""

    status_code = 403
    code = "forbidden"


class DependencyUnavailable(ShieldError):
    """A dependency failed, timed out, or its circuit breaker is open."""

    status_code = 503
    code = "dependency_unavailable"

    def __init__(
        self, service: str, message: str, retry_after: float = 5.0, circuit_open: bool = False
    ) -> None:
        super().__init__(message, service=service, retry_after=max(1, round(retry_after)))
        self.service = service
        self.retry_after = max(1, round(retry_after))
        self.circuit_open = circuit_open


class DependencyRefused(ShieldError):
    """A dependency answered, and refused what it was sent (its 4xx): not an outage, so it is
    neither retried nor counted against the dependency's circuit breaker."""

    status_code = 502
    code = "dependency_refused"

    def __init__(self, service: str, message: str) -> None:
        super().__init__(message, service=service)
        self.service = service


class JobCancelled(Exception):
    """Raised inside a job when its cancellation was requested."""


def cause_of(exc: BaseException) -> FailureCause:
    """The one classification of a failure's cause (see `FailureCause`)."""
    if isinstance(exc, ShieldError) and exc.cause is not None:
        return exc.cause
    if isinstance(exc, DependencyUnavailable | DependencyRefused):
        return "dependency"
    if isinstance(exc, ShieldError) and 400 <= exc.status_code < 500:
        return "input"
    return "internal"
