"""The client of shield-lightrag (shield-api's and the workers'): a timeout, a circuit breaker,
and a clear answer when the knowledge graph is not deployed at all."""

from __future__ import annotations

from typing import Any

import httpx

from shield.config import LightragClientMixin
from shield.errors import ShieldError, error_message
from shield.net.service_client import ServiceClient, ServiceEndpoint, lightrag_endpoint
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

    def call(self, method: str, path: str, json: Any = None, timeout: float | None = None) -> Any:
        if self._service is None:
            raise GraphNotAvailable(
                "the knowledge graph is not available: shield-lightrag is not configured "
                "(SHIELD_LIGHTRAG_URL); vector search (/search, qdrant_find) works without it"
            )
        extra = {"timeout": timeout} if timeout else {}
        response = self._service.request(method, path, json=json, **extra)
        if response.status_code >= 400:
            raise _relayed(response)
        return response.json()

    @property
    def configured(self) -> bool:
        return self._service is not None

    def apply_batch(
        self, collection: str, documents: dict[str, list[str]], deletes: list[str]
    ) -> dict[str, dict[str, Any]]:
        """Each document's outcome: `{"status": stored|deleted|absent|failed, "error": ...}`."""
        result = self.call(
            "POST",
            f"/collections/{collection}/batch",
            {
                "documents": [{"document_id": d, "chunks": c} for d, c in documents.items()],
                "delete": deletes,
            },
            timeout=self.insert_timeout,
        )
        outcomes: dict[str, dict[str, Any]] = result["results"]
        return outcomes

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
