"""The worker's calls to shield-api's internal endpoints (the API owns the vector store), through
the one shield-api client, retried since each is idempotent."""

from __future__ import annotations

from typing import TypeVar

from shield import apiclient
from shield.apiclient import ApiClient, ApiRefused, Call
from shield.documents.models import DocumentSummary, DocumentWrite
from shield.errors import InvalidInput
from shield.resilience import retry_idempotent

Answer = TypeVar("Answer")


class WorkerApi(ApiClient):
    service = "worker"

    @retry_idempotent(attempts=3)
    def _idempotent(self, call: Call[Answer]) -> Answer:
        # Only GET, PUT (a whole-document replace), DELETE and the graph's re-queue go through
        # here: all are idempotent.
        return self.send(call)

    def _sent(self, call: Call[Answer]) -> Answer:
        try:
            return self._idempotent(call)
        except ApiRefused as exc:
            raise InvalidInput(f"shield-api refused the request: {exc.message}") from None

    def get_document(self, collection: str, document_id: str) -> DocumentSummary | None:
        try:
            return self._idempotent(apiclient.internal_document(collection, document_id))
        except ApiRefused as exc:
            if exc.status == 404:
                return None
            raise InvalidInput(f"shield-api refused the request: {exc.message}") from None

    def put_document(
        self, collection: str, document_id: str, write: DocumentWrite
    ) -> DocumentSummary:
        return self._sent(apiclient.put_document(collection, document_id, write))

    def delete_document(self, collection: str, document_id: str) -> bool:
        """Remove a document from the collection and the graph; False if it was not there."""
        try:
            self._idempotent(apiclient.delete_document(document_id, collection))
        except ApiRefused as exc:
            if exc.status == 404:
                return False
            raise InvalidInput(f"shield-api refused the request: {exc.message}") from None
        return True

    def requeue_graph(self, collection: str, document_id: str) -> DocumentSummary:
        """Have the graph take in a stored document again (it lacks it), without re-embedding."""
        return self._sent(apiclient.requeue_graph(collection, document_id))
