"""The worker's client for shield-api's internal endpoints (the API owns the vector store)."""

from __future__ import annotations

import httpx

from shield.documents.models import DocumentSummary, DocumentWrite
from shield.errors import DependencyUnavailable, InvalidInput, error_message
from shield.resilience import Breaker, retry_idempotent


class ApiClient:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout: float,
        breaker_failures: int = 5,
        breaker_recovery: float = 60.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)
        self.breaker = Breaker("worker", "api", breaker_failures, breaker_recovery)

    def _send(self, method: str, path: str, json: object | None) -> httpx.Response:
        try:
            response = self._client.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("api", f"shield-api unreachable: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise DependencyUnavailable(
                "api", f"shield-api answered {response.status_code}: {error_message(response)}"
            )
        return response

    @retry_idempotent(attempts=3)
    def _request(self, method: str, path: str, json: object | None = None) -> httpx.Response:
        # Only GET and PUT (a whole-document replace) go through here: both are idempotent.
        response: httpx.Response = self.breaker.call(self._send, method, path, json)
        return response

    @staticmethod
    def _refused(response: httpx.Response) -> None:
        if not response.is_success:
            raise InvalidInput(f"shield-api refused the request: {error_message(response)}")

    def get_document(self, collection: str, document_id: str) -> DocumentSummary | None:
        response = self._request(
            "GET", f"/internal/collections/{collection}/documents/{document_id}"
        )
        if response.status_code == 404:
            return None
        self._refused(response)
        return DocumentSummary.model_validate(response.json())

    def put_document(
        self, collection: str, document_id: str, write: DocumentWrite
    ) -> DocumentSummary:
        # PUT replaces the whole document: safe to retry.
        response = self._request(
            "PUT",
            f"/internal/collections/{collection}/documents/{document_id}",
            json=write.model_dump(mode="json"),
        )
        self._refused(response)
        return DocumentSummary.model_validate(response.json())

    def close(self) -> None:
        self._client.close()
