"""The ingest pipeline: read -> (unchanged? stop) -> chunk -> embed -> store, per document.

A document is written to shield-api in one whole-document replace, after all its chunks are
embedded, so a job that fails or is cancelled half way leaves no partial document behind.
Per-document mistakes (no text, refused) are recorded in the result; failures of a dependency
propagate so that RQ retries the job, and documents already stored come back `unchanged`.
"""

from __future__ import annotations

from shield.documents.chunking import Chunker
from shield.documents.identity import content_hash, document_id
from shield.documents.models import ChunkIn, DocumentWrite, SourceDocument
from shield.embeddings import Embedder
from shield.errors import InvalidInput, JobCancelled
from shield.jobs.models import (
    ItemResult,
    JobError,
    JobProgress,
    JobResult,
    JobState,
    JobStatus,
    utcnow,
)
from shield.jobs.store import JobStore
from shield.logging import get_logger
from shield.metrics import JOBS
from shield.worker.api_client import ApiClient
from shield.worker.sources import read_documents

log = get_logger(__name__)
EMBED_BATCH = 64


class IngestPipeline:
    def __init__(
        self,
        store: JobStore,
        api: ApiClient,
        embedder: Embedder,
        chunker: Chunker,
    ) -> None:
        self.store = store
        self.api = api
        self.embedder = embedder
        self.chunker = chunker

    def _check_cancel(self, state: JobState) -> None:
        if self.store.cancel_requested(state.job_id):
            raise JobCancelled(state.job_id)

    def _stage(self, state: JobState, stage: str) -> None:
        state.stage = stage
        self.store.save(state)

    def run(self, state: JobState) -> JobState:
        state.status = JobStatus.RUNNING
        state.attempts += 1
        state.started_at = state.started_at or utcnow()
        state.error = None
        # A retried attempt starts its counts afresh; stored documents come back `unchanged`.
        state.result = JobResult()
        state.progress = JobProgress()
        self._stage(state, "reading")
        try:
            self._check_cancel(state)
            request = self.store.request(state.job_id)
            if request is None:
                raise InvalidInput("the job's request has expired; submit it again")
            documents = list(read_documents(request))
            state.progress.documents_total = len(documents)
            for document in documents:
                self._check_cancel(state)
                item = self._ingest(state, document)
                state.result.documents.append(item)
                if item.status == "failed":
                    state.progress.documents_failed += 1
                else:
                    state.progress.documents_done += 1
                    state.result.chunks += item.chunks if item.status == "stored" else 0
                self.store.save(state)
        except JobCancelled:
            log.info("job_cancelled", job_id=state.job_id)
            return state  # the API already wrote the final `cancelled` state
        except InvalidInput as exc:
            return self._finish(state, JobError(code="invalid_input", message=exc.message))
        failed = state.progress.documents_failed
        if failed and failed == len(state.result.documents):
            first = next(d.error for d in state.result.documents if d.error)
            return self._finish(state, JobError(code="documents_failed", message=first or ""))
        return self._finish(state, None)

    def _finish(self, state: JobState, error: JobError | None) -> JobState:
        state.status = JobStatus.FAILED if error else JobStatus.SUCCEEDED
        state.stage = "failed" if error else "done"
        state.error = error
        state.finished_at = utcnow()
        if self.store.save(state):
            JOBS.labels(state.kind, state.status.value).inc()
        return state

    def _ingest(self, state: JobState, document: SourceDocument) -> ItemResult:
        collection = state.collection
        doc_id = document_id(collection, document.source)
        digest = content_hash(document.text)
        result = ItemResult(source=document.source, document_id=doc_id, status="stored")
        existing = self.api.get_document(collection, doc_id)
        if (
            existing is not None
            and existing.content_hash == digest
            and existing.metadata == document.metadata
            and existing.title == document.title
        ):
            result.status, result.chunks = "unchanged", existing.chunks
            return result
        self._stage(state, "chunking")
        texts = self.chunker.split(document.text)
        if not texts:
            result.status, result.error = "failed", "the document has no text to index"
            return result
        self._stage(state, "embedding")
        chunks: list[ChunkIn] = []
        for start in range(0, len(texts), EMBED_BATCH):
            self._check_cancel(state)
            batch = texts[start : start + EMBED_BATCH]
            vectors = self.embedder.embed(batch)
            chunks.extend(
                ChunkIn(text=t, vector=v.tolist()) for t, v in zip(batch, vectors, strict=True)
            )
            state.progress.chunks_embedded += len(batch)
            self.store.save(state)
        self._check_cancel(state)  # last chance: a cancelled job writes nothing more
        self._stage(state, "storing")
        write = DocumentWrite(
            source=document.source,
            title=document.title,
            content_hash=digest,
            embedding_model=self.embedder.model_name,
            job_id=state.job_id,
            metadata=document.metadata,
            chunks=chunks,
        )
        try:
            summary = self.api.put_document(collection, doc_id, write)
        except InvalidInput as exc:
            result.status, result.error = "failed", exc.message
            return result
        state.progress.chunks_stored += summary.chunks
        result.chunks = summary.chunks
        return result
