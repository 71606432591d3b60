"""The client of shield-lightrag (shield-api's and the workers'): a timeout, a circuit breaker,
and a clear answer when the knowledge graph is not deployed at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from shield.config import LightragClientMixin
from shield.errors import ShieldError, error_message
from shield.graph.vectors import StoredChunks, encode_vector
from shield.net.service_client import ServiceClient, ServiceEndpoint, lightrag_endpoint
from shield.resilience import Breaker

STATE_TIMEOUT = 600.0  # seconds to copy the whole graph one way or the other


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
        endpoint: ServiceEndpoint | None,
        breaker: Breaker,
        insert_timeout: float | None = None,
    ) -> None:
        """`endpoint` None: no knowledge graph is deployed; calls say so clearly."""
        self._service = ServiceClient(endpoint, breaker) if endpoint else None
        self.breaker = breaker
        # An insert runs entity extraction over every chunk: its time grows with the document.
        self.insert_timeout = insert_timeout or (endpoint.timeout if endpoint else None)

    @classmethod
    def from_settings(
        cls,
        settings: LightragClientMixin,
        service: str,
        insert_timeout: float | None = None,
    ) -> LightragClient:
        return cls(lightrag_endpoint(settings), Breaker(service, "lightrag"), insert_timeout)

    def _configured(self) -> ServiceClient:
        if self._service is None:
            raise GraphNotAvailable(
                "the knowledge graph is not available: shield-lightrag is not configured "
                "(SHIELD_LIGHTRAG_URL); vector search (/search, qdrant_find) works without it"
            )
        return self._service

    def call(self, method: str, path: str, json: Any = None, timeout: float | None = None) -> Any:
        service = self._configured()
        extra = {"timeout": timeout} if timeout else {}
        response = service.request(method, path, json=json, **extra)
        if response.status_code >= 400:
            raise _relayed(response)
        return response.json()

    def download_state(self, target: Path) -> None:
        """The whole graph as shield-lightrag keeps it (a tar), into `target`."""
        target.parent.mkdir(parents=True, exist_ok=True)
        response = self._configured().download("/state", target, timeout=STATE_TIMEOUT)
        if response.status_code >= 400:
            raise _relayed(response)

    def upload_state(self, source: Path) -> None:
        """Make an empty graph what `download_state` got (409 if it is not empty)."""
        with source.open("rb") as stream:
            response = self._configured().request(
                "PUT", "/state", content=stream, timeout=STATE_TIMEOUT
            )
        if response.status_code >= 400:
            raise _relayed(response)

    @property
    def configured(self) -> bool:
        return self._service is not None

    def apply_batch(
        self, collection: str, documents: dict[str, StoredChunks], deletes: list[str]
    ) -> dict[str, dict[str, Any]]:
        """Each document's outcome: `{"status": stored|deleted|absent|failed, "error": ...}`.
        The chunks go with their vectors, which the graph uses when its model made them."""
        result = self.call(
            "POST",
            f"/collections/{collection}/batch",
            {
                "documents": [
                    {
                        "document_id": doc_id,
                        "chunks": stored.texts,
                        "vectors": [encode_vector(v) for v in stored.vectors],
                        "model": stored.model,
                    }
                    for doc_id, stored in documents.items()
                ],
                "delete": deletes,
            },
            timeout=self.insert_timeout,
        )
        outcomes: dict[str, dict[str, Any]] = result["results"]
        return outcomes

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
