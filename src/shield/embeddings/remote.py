"""Embedding servers over HTTP: Ollama (`POST /api/embed`) and OpenAI-compatible
(`POST /v1/embeddings`), with timeouts, a circuit breaker and bounded retries."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from shield.embeddings.base import Embedder, Vectors, normalize
from shield.errors import DependencyRefused, DependencyUnavailable
from shield.metrics import EMBEDDING_SECONDS
from shield.resilience import Breaker, is_unavailable_status, retry_idempotent


class RemoteEmbedder(Embedder):
    """Shared plumbing; subclasses say which path to call and how to read the answer."""

    path: str

    def __init__(
        self,
        base_url: str,
        model: str,
        timeout: float,
        batch_size: int,
        service: str,
        api_key: str | None = None,
    ) -> None:
        self.model_name = model
        self._batch_size = batch_size
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers=headers)
        self._breaker = Breaker(service, "embedder")
        self._dimension: int | None = None

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.embed(["dimension probe"]).shape[1])
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            with EMBEDDING_SECONDS.time():
                rows.extend(self._breaker.call(self._post, batch))
        if not rows:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        vectors = normalize(np.asarray(rows, dtype=np.float32))
        self._dimension = int(vectors.shape[1])
        return vectors

    @retry_idempotent(attempts=3)
    def _post(self, batch: list[str]) -> list[list[float]]:
        try:
            response = self._client.post(self.path, json=self._body(batch))
            if response.is_client_error and not is_unavailable_status(response.status_code):
                raise DependencyRefused(
                    "embedder",
                    f"embedding server {self._client.base_url} refused the texts "
                    f"({response.status_code}): {response.text[:200]}",
                )
            response.raise_for_status()
            rows = self._parse(response.json())
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise DependencyUnavailable(
                "embedder", f"embedding server {self._client.base_url} failed: {exc}"
            ) from exc
        if len(rows) != len(batch):
            raise DependencyUnavailable(
                "embedder", f"embedding server returned {len(rows)} vectors for {len(batch)} texts"
            )
        return rows

    def _body(self, batch: list[str]) -> dict[str, Any]:
        return {"model": self.model_name, "input": batch}

    @abc.abstractmethod
    def _parse(self, body: Any) -> list[list[float]]:
        """Read the vectors, in input order, from the server's JSON answer."""

    def close(self) -> None:
        self._client.close()


class OllamaEmbedder(RemoteEmbedder):
    path = "/api/embed"

    def _parse(self, body: Any) -> list[list[float]]:
        return [list(map(float, row)) for row in body["embeddings"]]


class OpenAIEmbedder(RemoteEmbedder):
    path = "/v1/embeddings"

    def _parse(self, body: Any) -> list[list[float]]:
        items = sorted(body["data"], key=lambda item: item["index"])
        return [list(map(float, item["embedding"])) for item in items]
