"""shield-mcp's client of shield-api: the shared service client, acting for the caller of the
tool (`shield.mcp.access`), with failures turned into tool errors that say what happened and when
to retry."""

from __future__ import annotations

from typing import Any

from fastmcp.exceptions import ToolError

from shield.config import ApiClientMixin
from shield.errors import DependencyUnavailable, error_message
from shield.mcp.access import upstream_headers
from shield.net.service_client import AsyncServiceClient, api_breaker, api_endpoint


class ApiRefused(ToolError):
    """shield-api answered with an error (4xx/5xx): its message, and the status for the code
    that must tell one from another."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ShieldApi(AsyncServiceClient):
    @classmethod
    def from_settings(cls, settings: ApiClientMixin, service: str = "mcp") -> ShieldApi:
        return cls(api_endpoint(settings), api_breaker(settings, service))

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer; a ToolError with the reason (and retry_after) otherwise, an
        ApiRefused when shield-api answered with an error."""
        headers = {**kwargs.pop("headers", {}), **upstream_headers()}
        try:
            response = await self.request(method, path, headers=headers, **kwargs)
        except DependencyUnavailable as exc:
            raise ToolError(f"{exc.message} (retry_after: {exc.retry_after} s)") from exc
        if response.status_code >= 400:
            raise ApiRefused(error_message(response), response.status_code)
        return response.json()
