"""shield-mcp's client of shield-api: timeouts, a circuit breaker, and failures turned into tool
errors that say what happened and when to retry."""

from __future__ import annotations

from typing import Any

import httpx
from fastmcp.exceptions import ToolError

from shield.errors import DependencyUnavailable, error_message
from shield.resilience import Breaker


class ShieldApi:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout: float,
        breaker_failures: int = 5,
        breaker_recovery: float = 60.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout)
        self.breaker = Breaker("mcp", "api", breaker_failures, breaker_recovery)

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise DependencyUnavailable(
                "api", f"shield-api did not answer in time ({exc})"
            ) from exc
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("api", f"shield-api is unreachable ({exc})") from exc
        if response.status_code >= 500:
            retry_after = float(response.headers.get("retry-after", "5"))
            raise DependencyUnavailable(
                "api",
                f"shield-api answered {response.status_code}: {error_message(response)}",
                retry_after=retry_after,
            )
        return response

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer; a ToolError with the reason (and retry_after) otherwise."""
        try:
            response = await self.breaker.call_async(self._send, method, path, **kwargs)
        except DependencyUnavailable as exc:
            raise ToolError(f"{exc.message} (retry_after: {exc.retry_after} s)") from exc
        if response.status_code >= 400:
            raise ToolError(error_message(response))
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()
