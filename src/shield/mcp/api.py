"""shield-mcp's client of shield-api: the one shield-api client, acting for the caller of the
tool (`shield.mcp.access`), with failures turned into tool errors that say what happened and when
to retry."""

from __future__ import annotations

from typing import Any

from fastmcp.exceptions import ToolError

from shield import apiclient
from shield.apiclient import Answer, AsyncApiClient, Call, Model
from shield.errors import DependencyUnavailable, InvalidInput
from shield.mcp.access import upstream_headers


class ApiRefused(ToolError):
    """shield-api answered with an error (4xx): its message, and the status for the code that
    must tell one from another."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ShieldApi(AsyncApiClient):
    service = "mcp"

    async def send(self, call: Call[Answer], **extra: Any) -> Answer:
        """The call's answer; a ToolError with the reason (and retry_after) otherwise, an
        ApiRefused when shield-api refused it."""
        headers = {**extra.pop("headers", {}), **upstream_headers()}
        try:
            return await super().send(call, headers=headers, **extra)
        except DependencyUnavailable as exc:
            raise ToolError(f"{exc.message} (retry_after: {exc.retry_after} s)") from exc
        except apiclient.ApiRefused as exc:
            raise ApiRefused(exc.message, exc.status) from None


def request(model: type[Model], **fields: Any) -> Model:
    """A request body for shield-api from a tool's arguments (None: not given), checked here
    with shield-api's own model; a ToolError naming each field otherwise."""
    try:
        return apiclient.request(model, **fields)
    except InvalidInput as exc:
        raise ToolError(exc.message) from None
