"""The ingest pipeline: list -> per document: load -> (unchanged? stop) -> convert -> chunk ->
embed -> store. shield-api hands stored documents on to the knowledge graph (its backlog), so
no document here ever waits on the graph.

A document is written to shield-api in one whole-document replace, after all its chunks are
embedded, so a job that fails or is cancelled half way leaves no partial document behind.
Per-document mistakes (a bad file, a refused URL) are recorded in that document's result and the
job goes on with the next; failures of a dependency propagate so that RQ retries the job, and
documents already stored come back `unchanged`. Ingesting an unchanged document that the graph
lacks (it failed there) has the graph take it in again, without embedding it again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shield.documents.chunking import Chunker
from shield.documents.identity import document_id
from shield.documents.models import ChunkIn, DocumentWrite, SourceDocument
from shield.embeddings import Embedder
from shield.errors import DependencyUnavailable, InvalidInput, JobCancelled, ShieldError
from shield.jobs.models import ItemResult, JobError, JobState, JobStatus
from shield.jobs.requests import CrawlIngest, DocumentIngest, UploadIngest, parse_job_request
from shield.jobs.store import JobStore
from shield.jobs.transitions import JobReporter, begin_attempt, finish
from shield.logging import get_logger
from shield.worker.api_client import ApiClient
from shield.worker.converter import ConverterError, ConverterProcess
from shield.worker.sources import DocumentReader, PendingDocument

if TYPE_CHECKING:  # the crawler (Crawl4AI) is imported only when a crawl runs
    from shield.worker.crawling import CrawlRun

log = get_logger(__name__)
EMBED_BATCH = 64


def _same(document: SourceDocument) -> SourceDocument:
    return document


def _nothing_stored(state: JobState) -> JobError | None:
    """A job fails when it stored nothing at all; then the first reason is the job's error."""
    items = state.result.documents
    if any(item.status in ("stored", "unchanged") for item in items):
        return None
    first = next((item.error for item in items if item.error), None)
    if state.kind == "crawl":
        return JobError(code="crawl_failed", message=first or "the crawl found no page to read")
    return JobError(code="documents_failed", message=first or "no document was stored")


class IngestPipeline:
    def __init__(
        self,
        store: JobStore,
        api: ApiClient,
        embedder: Embedder,
        chunker: Chunker,
        reader: DocumentReader,
        converter: ConverterProcess,
        crawls: Callable[[CrawlIngest], CrawlRun],
    ) -> None:
        self.store = store
        self.api = api
        self.embedder = embedder
        self.chunker = chunker
        self.reader = reader
        self.converter = converter
        self.crawls = crawls

    @staticmethod
    def _check_cancel(job: JobReporter) -> None:
        if job.cancel_requested:
            raise JobCancelled(job.state.job_id)

    def run(self, state: JobState) -> JobState:
        job = JobReporter(self.store, state)
        begin_attempt(state)
        job.stage("reading")
        try:
            self._check_cancel(job)
            raw = self.store.request(state.job_id)
            if raw is None:
                raise InvalidInput("the job's request has expired; submit it again")
            request = parse_job_request(raw)
            if isinstance(request, CrawlIngest):
                self._crawl(job, request)
            else:
                self._documents(job, request)
        except JobCancelled:
            log.info("job_cancelled", job_id=state.job_id)
            return state  # the API already wrote the final `cancelled` state
        except InvalidInput as exc:
            return self._finish(state, JobError(code="invalid_input", message=exc.message))
        return self._finish(state, _nothing_stored(state))

    def _finish(self, state: JobState, error: JobError | None) -> JobState:
        finish(self.store, state, JobStatus.FAILED if error else JobStatus.SUCCEEDED, error)
        return state

    def _documents(self, job: JobReporter, request: DocumentIngest | UploadIngest) -> None:
        state = job.state
        try:
            pending = self.reader.list(state.job_id, request)
        except DependencyUnavailable:
            raise
        except ShieldError as exc:  # nothing to read: no inbox, a missing folder, ...
            raise InvalidInput(exc.message) from None
        state.result.documents = [ItemResult(source=p.source) for p in pending]
        state.progress.documents_total = len(pending)
        job.save()
        for document, item in zip(pending, state.result.documents, strict=True):
            self._check_cancel(job)
            self._ingest_counted(job, document, item)

    def _ingest_counted(
        self, job: JobReporter, document: PendingDocument, item: ItemResult
    ) -> None:
        state = job.state
        self._ingest(job, document, item)
        if item.status == "failed":
            state.progress.documents_failed += 1
        else:
            state.progress.documents_done += 1
            state.result.chunks += item.chunks if item.status == "stored" else 0
        job.save()

    def _crawl(self, job: JobReporter, request: CrawlIngest) -> None:
        """Pages are ingested as they arrive, while the crawl goes on."""
        state = job.state
        job.stage("crawling")
        run = self.crawls(request)
        progress = state.progress
        try:
            for page in run.pages():
                self._check_cancel(job)
                item = ItemResult(source=page.url, title=page.title or None)
                state.result.documents.append(item)
                progress.pages_discovered = len(run.crawler.frontier.seen)
                if page.status != "fetched":
                    item.status, item.error = page.status, page.reason
                    progress.pages_skipped += page.status == "skipped"
                    progress.pages_failed += page.status == "failed"
                    job.save()
                    continue
                progress.pages_fetched += 1
                progress.documents_total += 1
                document = SourceDocument(
                    source=page.url,
                    text=page.markdown,
                    title=page.title,
                    metadata=request.metadata or {},
                )
                self._ingest_counted(
                    job, PendingDocument(page.url, functools.partial(_same, document)), item
                )
        except JobCancelled:
            run.cancel()
            raise
        summary = run.summary
        if summary is not None:
            progress.pages_discovered = summary.discovered
            listed = {item.source for item in state.result.documents}
            for page in summary.pages:
                if page.url not in listed:  # links never fetched: another origin, ...
                    state.result.documents.append(
                        ItemResult(source=page.url, status=page.status, error=page.reason)
                    )
            progress.pages_skipped = sum(
                1 for item in state.result.documents if item.status == "skipped"
            )

    def _ingest(self, job: JobReporter, pending: PendingDocument, item: ItemResult) -> None:
        """Ingest one document; its outcome goes into `item`. Only a dependency's failure or a
        cancel escapes: anything wrong with the document itself fails this document alone."""
        state = job.state
        item.document_id = document_id(state.collection, pending.source)
        try:
            job.stage("reading", item)
            document = pending.load()
            item.format = document.format or None
            if self._unchanged(job, document, item):
                item.status = "unchanged"
                return
            chunks = self._chunks(job, document, item)
            if not chunks:
                raise InvalidInput("the document has no text to index")
            self._store(job, document, item, self._embed(job, chunks, item))
        except (DependencyUnavailable, JobCancelled):
            raise
        except (ShieldError, ConverterError) as exc:
            item.status = "failed"
            item.error = exc.message if isinstance(exc, ShieldError) else str(exc)
            log.info("document_failed", source=pending.source, error=item.error)

    def _unchanged(self, job: JobReporter, document: SourceDocument, item: ItemResult) -> bool:
        state = job.state
        existing = self.api.get_document(state.collection, item.document_id or "")
        if (
            existing is None
            or existing.content_hash != document.content_hash
            or existing.metadata != document.metadata
        ):
            return False
        # A file's title comes from its content unless the caller named one.
        if (document.data is None or document.title) and existing.title != document.title:
            return False
        if existing.graph not in ("pending", "stored"):  # the graph lacks it (or has none)
            existing = self.api.requeue_graph(state.collection, item.document_id or "")
        item.chunks, item.title, item.graph = existing.chunks, existing.title, existing.graph
        return True

    def _chunks(
        self, job: JobReporter, document: SourceDocument, item: ItemResult
    ) -> list[dict[str, Any]]:
        if document.data is None:
            job.stage("chunking", item)
            item.title = document.title
            return [{"text": t} for t in self.chunker.split(document.text or "")]
        job.stage("converting", item)
        converted = self.converter.convert(document.data, document.filename, document.format)
        self._check_cancel(job)
        item.pages = converted["pages"] or None
        item.title = document.title or converted["title"]
        document.title = item.title
        job.stage("chunking", item)
        return list(converted["chunks"])

    def _embed(
        self, job: JobReporter, chunks: list[dict[str, Any]], item: ItemResult
    ) -> list[ChunkIn]:
        state = job.state
        job.stage("embedding", item)
        embedded: list[ChunkIn] = []
        for start in range(0, len(chunks), EMBED_BATCH):
            self._check_cancel(job)
            batch = chunks[start : start + EMBED_BATCH]
            vectors = self.embedder.embed([c["text"] for c in batch])
            embedded.extend(
                ChunkIn(vector=v.tolist(), **c) for c, v in zip(batch, vectors, strict=True)
            )
            state.progress.chunks_embedded += len(batch)
            job.save()
        return embedded

    def _store(
        self, job: JobReporter, document: SourceDocument, item: ItemResult, chunks: list[ChunkIn]
    ) -> None:
        state = job.state
        self._check_cancel(job)  # last chance: a cancelled job writes nothing more
        job.stage("storing", item)
        write = DocumentWrite(
            source=document.source,
            title=document.title,
            content_hash=document.content_hash,
            embedding_model=self.embedder.model_name,
            job_id=state.job_id,
            metadata=document.metadata,
            chunks=chunks,
        )
        summary = self.api.put_document(state.collection, item.document_id or "", write)
        state.progress.chunks_stored += summary.chunks
        item.status, item.chunks, item.graph = "stored", summary.chunks, summary.graph
