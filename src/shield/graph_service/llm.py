"""An LLM for LightRAG: Ollama (`POST /api/chat`) or an OpenAI-compatible server
(`POST /v1/chat/completions`), with a timeout, bounded retries of transient failures, and a
circuit breaker. LightRAG's own cache sits in front of it (`enable_llm_cache`): an extraction
already asked is answered from the cache, and `shield_lightrag_llm_*` count both."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from shield.errors import DependencyUnavailable, InvalidInput
from shield.resilience import Breaker

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class _Transient(Exception):
    """A failure worth one more try: a timeout, a dropped connection, an overloaded server."""


class ChatLLM:
    def __init__(
        self,
        provider: str,
        url: str,
        model: str,
        api_key: str | None,
        timeout: float,
        retries: int = 2,
        breaker: Breaker | None = None,
    ) -> None:
        if provider not in ("ollama", "openai"):
            raise InvalidInput(f"unknown LLM provider {provider!r}")
        self.provider = provider
        self.model = model
        self.retries = retries
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout)
        self.breaker = breaker or Breaker("lightrag", "llm")

    def _request(self, messages: list[dict[str, str]]) -> tuple[str, dict[str, Any]]:
        if self.provider == "ollama":
            return "/api/chat", {"model": self.model, "messages": messages, "stream": False}
        return "/v1/chat/completions", {"model": self.model, "messages": messages}

    def _content(self, body: dict[str, Any]) -> str:
        try:
            if self.provider == "ollama":
                return str(body["message"]["content"])
            return str(body["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as exc:
            raise DependencyUnavailable(
                "llm", f"the LLM answered an unexpected body ({exc})"
            ) from exc

    async def _once(self, path: str, payload: dict[str, Any]) -> str:
        try:
            response = await self._client.post(path, json=payload)
        except httpx.TimeoutException as exc:
            raise _Transient(f"the LLM did not answer in time ({exc})") from exc
        except httpx.TransportError as exc:
            raise _Transient(f"the LLM is unreachable ({exc})") from exc
        if response.status_code in RETRYABLE_STATUS:
            raise _Transient(f"the LLM answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DependencyUnavailable(
                "llm", f"the LLM refused the request: HTTP {response.status_code}"
            )
        return self._content(response.json())

    async def _with_retries(self, path: str, payload: dict[str, Any]) -> str:
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(lambda e: isinstance(e, _Transient)),
                stop=stop_after_attempt(self.retries + 1),
                wait=wait_random_exponential(multiplier=0.5, max=8),
                reraise=True,
            ):
                with attempt:
                    return await self._once(path, payload)
        except _Transient as exc:
            raise DependencyUnavailable("llm", str(exc)) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def complete(
        self,
        prompt: str,
        system_prompt: str | None = None,
        history_messages: Iterable[dict[str, str]] | None = None,
        **_: Any,
    ) -> str:
        """LightRAG's LLM function: a prompt in, the model's text out."""
        messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
        messages += [dict(m) for m in history_messages or []]
        messages.append({"role": "user", "content": prompt})
        path, payload = self._request(messages)
        return await self.breaker.call_async(self._with_retries, path, payload)

    async def close(self) -> None:
        await self._client.aclose()


class LlmCacheCollector(Collector):
    """LightRAG's own count of LLM calls and of answers served from its cache."""

    def collect(self) -> Iterable[CounterMetricFamily]:
        from lightrag.utils import statistic_data

        calls = CounterMetricFamily(
            "shield_lightrag_llm_calls", "LLM calls LightRAG made (cache misses)."
        )
        calls.add_metric([], float(statistic_data.get("llm_call", 0)))
        hits = CounterMetricFamily(
            "shield_lightrag_llm_cache_hits", "LLM answers LightRAG served from its cache."
        )
        hits.add_metric([], float(statistic_data.get("llm_cache", 0)))
        yield calls
        yield hits


_registered = False


def register_cache_metrics() -> None:
    global _registered  # noqa: PLW0603 - one collector per process
    if not _registered:
        REGISTRY.register(LlmCacheCollector())
        _registered = True
