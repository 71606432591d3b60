"""The worker's client for shield-api's internal endpoints (the API owns the vector store)."""

from __future__ import annotations

import httpx

from shield.config import ApiClientMixin
from shield.documents.models import DocumentSummary, DocumentWrite
from shield.errors import InvalidInput, error_message
from shield.net.service_client import ServiceClient, api_breaker, api_endpoint
from shield.resilience import retry_idempotent


class ApiClient(ServiceClient):
    @classmethod
    def from_settings(cls, settings: ApiClientMixin, service: str = "worker") -> ApiClient:
        return cls(api_endpoint(settings), api_breaker(settings, service))

    @retry_idempotent(attempts=3)
    def _idempotent(self, method: str, path: str, json: object | None = None) -> httpx.Response:
        # Only GET, PUT (a whole-document replace) and the graph's re-queue go through here: all
        # three are idempotent.
        return self.request(method, path, json=json)

    @staticmethod
    def _refused(response: httpx.Response) -> None:
        if not response.is_success:
            raise InvalidInput(f"shield-api refused the request: {error_message(response)}")

    def get_document(self, collection: str, document_id: str) -> DocumentSummary | None:
        response = self._idempotent(
            "GET", f"/internal/collections/{collection}/documents/{document_id}"
        )
        if response.status_code == 404:
            return None
        self._refused(response)
        return DocumentSummary.model_validate(response.json())

    def put_document(
        self, collection: str, document_id: str, write: DocumentWrite
    ) -> DocumentSummary:
        response = self._idempotent(
            "PUT",
            f"/internal/collections/{collection}/documents/{document_id}",
            json=write.model_dump(mode="json"),
        )
        self._refused(response)
        return DocumentSummary.model_validate(response.json())

    def requeue_graph(self, collection: str, document_id: str) -> DocumentSummary:
        """Have the graph take in a stored document again (it lacks it), without re-embedding."""
        response = self._idempotent(
            "POST", f"/internal/collections/{collection}/documents/{document_id}/graph"
        )
        self._refused(response)
        return DocumentSummary.model_validate(response.json())
