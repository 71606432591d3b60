"""The client of shield-lightrag (shield-api's and the workers'): a timeout, a circuit breaker,
and a clear answer when the knowledge graph is not deployed at all."""

from __future__ import annotations

from typing import Any

import httpx

from shield.errors import DependencyUnavailable, ShieldError, error_message
from shield.resilience import Breaker


class GraphNotAvailable(ShieldError):
    status_code = 503
    code = "not_available"


def _relayed(response: httpx.Response) -> ShieldError:
    """shield-lightrag's own 4xx, passed on with its status and code."""
    error = ShieldError(error_message(response))
    error.status_code = response.status_code
    try:
        error.code = str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        error.code = "bad_request"
    return error


class LightragClient:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout: float,
        breaker: Breaker,
        insert_timeout: float | None = None,
    ) -> None:
        self.base_url = base_url
        # An insert runs entity extraction over every chunk: its time grows with the document.
        self.insert_timeout = insert_timeout or timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = (
            httpx.Client(base_url=base_url, headers=headers, timeout=timeout) if base_url else None
        )
        self.breaker = breaker

    def _send(
        self, method: str, path: str, json: Any, timeout: float | None = None
    ) -> httpx.Response:
        assert self._client is not None
        try:
            response = self._client.request(
                method, path, json=json, timeout=timeout or self._client.timeout
            )
        except httpx.TimeoutException as exc:
            raise DependencyUnavailable("lightrag", f"shield-lightrag timed out ({exc})") from exc
        except httpx.HTTPError as exc:
            raise DependencyUnavailable(
                "lightrag", f"shield-lightrag is unreachable ({exc})"
            ) from exc
        if response.status_code >= 500:
            raise DependencyUnavailable(
                "lightrag",
                f"shield-lightrag answered {response.status_code}: {error_message(response)}",
            )
        return response

    def call(self, method: str, path: str, json: Any = None, timeout: float | None = None) -> Any:
        if self._client is None:
            raise GraphNotAvailable(
                "the knowledge graph is not available: shield-lightrag is not configured "
                "(SHIELD_LIGHTRAG_URL); vector search (/search, qdrant_find) works without it"
            )
        response = self.breaker.call(self._send, method, path, json, timeout)
        if response.status_code >= 400:
            raise _relayed(response)
        return response.json()

    @property
    def configured(self) -> bool:
        return self._client is not None

    def put_document(self, collection: str, doc_id: str, source: str, chunks: list[str]) -> None:
        self.call(
            "PUT",
            f"/collections/{collection}/documents/{doc_id}",
            {"source": source, "chunks": chunks},
            timeout=self.insert_timeout,
        )

    def holds(self, collection: str, doc_id: str) -> bool:
        """Whether the graph holds this document, fully processed."""
        try:
            self.call("GET", f"/collections/{collection}/documents/{doc_id}")
        except ShieldError as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    def forget(self, collection: str, doc_id: str) -> str:
        """Delete a document from the graph: `deleted`, `absent`, `no graph`, or why it failed
        (the vector store's deletion stands either way; deleting again retries the graph)."""
        if self._client is None:
            return "no graph"
        try:
            result = self.call("DELETE", f"/collections/{collection}/documents/{doc_id}")
        except ShieldError as exc:
            return f"failed: {exc.message}"
        return "deleted" if result.get("deleted") else "absent"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
