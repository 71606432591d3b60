"""Clients of Shield's own HTTP services (shield-api, shield-lightrag), sync and async.

One error mapping for every caller: a timeout, a connection failure, a 5xx or a 429 is the
service being unavailable (`DependencyUnavailable`, with the service's own `Retry-After` when it
sent one); any other answer is returned for the caller to read. Every call goes through the
service's circuit breaker, built from the caller's settings by the factories at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from shield.config import ApiClientMixin, LightragClientMixin, secret_value
from shield.errors import DependencyUnavailable, error_message
from shield.resilience import Breaker, is_unavailable_status

DEFAULT_RETRY_AFTER = 5.0


@dataclass(frozen=True)
class ServiceEndpoint:
    """Where a Shield service is and how to reach it."""

    name: str  # the dependency's name in errors and breaker metrics: "api", "lightrag"
    label: str  # the service as people know it: "shield-api"
    base_url: str
    token: str | None
    timeout: float

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def retry_after(response: httpx.Response) -> float:
    """The seconds a service asked callers to wait (`Retry-After` in seconds), or a default."""
    try:
        return max(1.0, float(response.headers.get("retry-after", DEFAULT_RETRY_AFTER)))
    except ValueError:  # an HTTP date: rare from our services; the default is close enough
        return DEFAULT_RETRY_AFTER


def transport_failure(endpoint: ServiceEndpoint, exc: httpx.HTTPError) -> DependencyUnavailable:
    if isinstance(exc, httpx.TimeoutException):
        message = f"{endpoint.label} did not answer in time ({exc})"
    else:
        message = f"{endpoint.label} is unreachable ({exc})"
    return DependencyUnavailable(endpoint.name, message)


def answer_failure(
    endpoint: ServiceEndpoint, response: httpx.Response
) -> DependencyUnavailable | None:
    """A 5xx or 429 is the service unavailable; anything else is an answer."""
    if not is_unavailable_status(response.status_code):
        return None
    return DependencyUnavailable(
        endpoint.name,
        f"{endpoint.label} answered {response.status_code}: {error_message(response)}",
        retry_after=retry_after(response),
    )


class ServiceClient:
    """A blocking client (the workers, shield-api's calls to shield-lightrag)."""

    def __init__(self, endpoint: ServiceEndpoint, breaker: Breaker) -> None:
        self.endpoint = endpoint
        self.breaker = breaker
        self._client = httpx.Client(
            base_url=endpoint.base_url, headers=endpoint.headers, timeout=endpoint.timeout
        )

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise transport_failure(self.endpoint, exc) from exc
        if failure := answer_failure(self.endpoint, response):
            raise failure
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The service's answer (2xx-4xx but 429), behind its circuit breaker."""
        return self.breaker.call(self._send, method, path, **kwargs)

    def download(self, path: str, target: Path, timeout: float | None = None) -> httpx.Response:
        """A GET whose 2xx body is streamed into `target` (a large file never held in memory);
        the response, read, for any other answer but 5xx and 429."""

        def fetch() -> httpx.Response:
            extra = {"timeout": timeout} if timeout else {}
            try:
                with self._client.stream("GET", path, **extra) as response:  # type: ignore[arg-type]
                    if response.status_code >= 400:
                        response.read()
                    else:
                        with target.open("wb") as out:
                            for block in response.iter_bytes():
                                out.write(block)
            except httpx.HTTPError as exc:
                raise transport_failure(self.endpoint, exc) from exc
            if failure := answer_failure(self.endpoint, response):
                raise failure
            return response

        return self.breaker.call(fetch)

    def close(self) -> None:
        self._client.close()


class AsyncServiceClient:
    """The same, for event loops (shield-mcp)."""

    def __init__(self, endpoint: ServiceEndpoint, breaker: Breaker) -> None:
        self.endpoint = endpoint
        self.breaker = breaker
        self._client = httpx.AsyncClient(
            base_url=endpoint.base_url, headers=endpoint.headers, timeout=endpoint.timeout
        )

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise transport_failure(self.endpoint, exc) from exc
        if failure := answer_failure(self.endpoint, response):
            raise failure
        return response

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.breaker.call_async(self._send, method, path, **kwargs)

    async def aclose(self) -> None:
        await self._client.aclose()


def api_endpoint(settings: ApiClientMixin) -> ServiceEndpoint:
    return ServiceEndpoint(
        "api",
        "shield-api",
        settings.api_url,
        secret_value(settings.api_token),
        settings.api_timeout,
    )


def api_breaker(settings: ApiClientMixin, service: str) -> Breaker:
    return Breaker(
        service, "api", settings.api_breaker_failures, settings.api_breaker_recovery_seconds
    )


def lightrag_endpoint(settings: LightragClientMixin) -> ServiceEndpoint | None:
    """None when no knowledge graph is configured (SHIELD_LIGHTRAG_URL empty)."""
    if not settings.lightrag_url:
        return None
    return ServiceEndpoint(
        "lightrag",
        "shield-lightrag",
        settings.lightrag_url,
        secret_value(settings.lightrag_token),
        settings.lightrag_timeout,
    )
