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


class ShieldApi(AsyncServiceClient):
    @classmethod
    def from_settings(cls, settings: ApiClientMixin, service: str = "mcp") -> ShieldApi:
        return cls(api_endpoint(settings), api_breaker(settings, service))

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer; a ToolError with the reason (and retry_after) otherwise."""
        headers = {**kwargs.pop("headers", {}), **upstream_headers()}
        try:
            response = await self.request(method, path, headers=headers, **kwargs)
        except DependencyUnavailable as exc:
            raise ToolError(f"{exc.message} (retry_after: {exc.retry_after} s)") from exc
        if response.status_code >= 400:
            raise ToolError(error_message(response))
        return response.json()
