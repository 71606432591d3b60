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
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shield.documents.chunking import Chunker
from shield.documents.conversion import StructuredChunk
from shield.documents.identity import document_id
from shield.documents.models import ChunkIn, SourceDocument
from shield.documents.writing import document_write, embedded, text_passages
from shield.embeddings import Embedder
from shield.errors import (
    DependencyUnavailable,
    InvalidInput,
    JobCancelled,
    ShieldError,
    cause_of,
)
from shield.jobs.models import ItemResult, JobError, JobState, JobStatus
from shield.jobs.requests import (
    CrawlIngest,
    DocumentIngest,
    SourceSync,
    UploadIngest,
    parse_job_request,
)
from shield.jobs.store import JobStore
from shield.jobs.transitions import JobReporter, begin_attempt, finish
from shield.logging import get_logger
from shield.worker.api_client import WorkerApi
from shield.worker.converter import ConverterError, ConverterProcess
from shield.worker.patience import Patience
from shield.worker.sources import DocumentReader, PendingDocument

if TYPE_CHECKING:  # the crawler (Crawl4AI) is imported only when a crawl runs
    from shield.worker.crawling import CrawlRun
    from shield.worker.syncing import SourceSyncer

log = get_logger(__name__)
EMBED_BATCH = 64


@dataclass(frozen=True)
class DocumentBudget:
    """The most work one document may cost, so that no document holds a worker for long:
    its passages, and its seconds of converting, chunking and embedding (waits for a
    dependency excluded). Past either, the document fails with the reason."""

    max_chunks: int = 5000
    max_seconds: float = 600.0


class _Clock:
    """One document's time against its budget; `Patience`'s waits do not count."""

    def __init__(self, budget: DocumentBudget, patience: Patience) -> None:
        self.budget = budget
        self.patience = patience
        self._start = time.monotonic()
        self._waited = patience.waited_seconds

    def left(self) -> float:
        waited = self.patience.waited_seconds - self._waited
        return self.budget.max_seconds - (time.monotonic() - self._start - waited)

    def check(self, doing: str) -> None:
        if self.left() <= 0:
            raise BudgetExceeded(
                f"the document took more than {self.budget.max_seconds:g} s to {doing}, the most "
                "one document may take (SHIELD_MAX_DOCUMENT_SECONDS); split it, or raise the limit"
            )


class BudgetExceeded(InvalidInput):
    """A document that costs more than one document may."""


def _same(document: SourceDocument) -> SourceDocument:
    return document


def _nothing_stored(state: JobState) -> JobError | None:
    """A job fails when it stored nothing at all; then the first reason is the job's error."""
    items = state.result.documents
    if any(item.status in ("stored", "unchanged") for item in items):
        return None
    first = next((item for item in items if item.error), None)
    message, cause = (first.error, first.cause) if first else (None, "input")
    if state.kind == "crawl":
        return JobError(
            code="crawl_failed", message=message or "the crawl found no page to read", cause=cause
        )
    return JobError(
        code="documents_failed", message=message or "no document was stored", cause=cause
    )


class IngestPipeline:
    def __init__(
        self,
        store: JobStore,
        api: WorkerApi,
        embedder: Embedder,
        chunker: Chunker,
        reader: DocumentReader,
        converter: ConverterProcess,
        crawls: Callable[[CrawlIngest], CrawlRun],
        patience: Patience | None = None,
        budget: DocumentBudget | None = None,
        syncer: SourceSyncer | None = None,
    ) -> None:
        self.store = store
        self.api = api
        self.embedder = embedder
        self.chunker = chunker
        self.reader = reader
        self.converter = converter
        self.crawls = crawls
        # shield-api and a remote embedder may be briefly away: their calls wait for them.
        self.patience = patience or Patience(0)
        self.budget = budget or DocumentBudget()
        self.syncer = syncer

    @staticmethod
    def check_cancel(job: JobReporter) -> None:
        if job.cancel_requested:
            raise JobCancelled(job.state.job_id)

    def run(self, state: JobState) -> JobState:
        job = JobReporter(self.store, state)
        begin_attempt(state)
        job.stage("reading")
        try:
            self.check_cancel(job)
            raw = self.store.request(state.job_id)
            if raw is None:
                raise InvalidInput("the job's request has expired; submit it again")
            request = parse_job_request(raw)
            if isinstance(request, SourceSync):
                if self.syncer is None:
                    raise InvalidInput("this worker does not sync sources")
                return self._finish(state, self.syncer.run(self, job, request))
            if isinstance(request, CrawlIngest):
                self._crawl(job, request)
            else:
                self._documents(job, request)
        except JobCancelled:
            log.info("job_cancelled", job_id=state.job_id)
            return state  # the API already wrote the final `cancelled` state
        except InvalidInput as exc:
            error = JobError(code="invalid_input", message=exc.message, cause="input")
            return self._finish(state, error)
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
            self.check_cancel(job)
            self.ingest_counted(job, document, item)

    def ingest_counted(self, job: JobReporter, document: PendingDocument, item: ItemResult) -> None:
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
                self.check_cancel(job)
                item = ItemResult(source=page.url, title=page.title or None)
                state.result.documents.append(item)
                progress.pages_discovered = len(run.crawler.frontier.seen)
                if page.status != "fetched":
                    item.status, item.error = page.status, page.reason
                    item.cause = "input" if page.status == "failed" else None
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
                self.ingest_counted(
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
        clock = _Clock(self.budget, self.patience)
        try:
            job.stage("reading", item)
            document = pending.load()
            item.format = document.format or None
            if self._unchanged(job, document, item):
                item.status = "unchanged"
                return
            chunks = self._chunks(job, document, item, clock)
            if not chunks:
                raise InvalidInput("the document has no text to index")
            if len(chunks) > self.budget.max_chunks:
                raise BudgetExceeded(
                    f"the document has {len(chunks)} passages; one document may have at most "
                    f"{self.budget.max_chunks} (SHIELD_MAX_DOCUMENT_CHUNKS); split it, or raise "
                    "the limit"
                )
            self._store(job, document, item, self._embed(job, chunks, item, clock))
        except (DependencyUnavailable, JobCancelled):
            raise
        except ConverterError as exc:  # the file could not be read as its format
            item.status, item.error, item.cause = "failed", str(exc), "input"
            log.info("document_failed", source=pending.source, error=item.error)
        except ShieldError as exc:
            item.status, item.error, item.cause = "failed", exc.message, cause_of(exc)
            log.info("document_failed", source=pending.source, error=item.error)

    def _unchanged(self, job: JobReporter, document: SourceDocument, item: ItemResult) -> bool:
        state = job.state
        existing = self.patience.call(
            job, self.api.get_document, state.collection, item.document_id or ""
        )
        if (
            existing is None
            or existing.content_hash != document.content_hash
            or existing.metadata != document.metadata
            or existing.source_id != document.source_id
        ):
            return False
        # A file's title comes from its content unless the caller named one.
        if (document.data is None or document.title) and existing.title != document.title:
            return False
        if existing.graph not in ("pending", "stored"):  # the graph lacks it (or has none)
            existing = self.patience.call(
                job, self.api.requeue_graph, state.collection, item.document_id or ""
            )
        item.chunks, item.title, item.graph = existing.chunks, existing.title, existing.graph
        return True

    def _chunks(
        self, job: JobReporter, document: SourceDocument, item: ItemResult, clock: _Clock
    ) -> list[StructuredChunk]:
        if document.data is None:
            job.stage("chunking", item)
            item.title = document.title
            return text_passages(self.chunker, document.text or "")
        job.stage("converting", item)
        converted = self.converter.convert(
            document.data, document.filename, document.format, budget_seconds=clock.left()
        )
        self.check_cancel(job)
        item.pages = converted.pages or None
        item.ocr_pages = converted.ocr_pages or None
        item.title = document.title or converted.title
        document.title = item.title
        job.stage("chunking", item)
        return converted.chunks

    def _embed(
        self, job: JobReporter, chunks: list[StructuredChunk], item: ItemResult, clock: _Clock
    ) -> list[ChunkIn]:
        state = job.state
        job.stage("embedding", item)
        passages: list[ChunkIn] = []
        for start in range(0, len(chunks), EMBED_BATCH):
            self.check_cancel(job)
            clock.check("embed")
            batch = chunks[start : start + EMBED_BATCH]
            vectors = self.patience.call(job, self.embedder.embed, [c.text for c in batch])
            passages.extend(embedded(batch, vectors))
            state.progress.chunks_embedded += len(batch)
            job.save()
        return passages

    def _store(
        self, job: JobReporter, document: SourceDocument, item: ItemResult, chunks: list[ChunkIn]
    ) -> None:
        state = job.state
        self.check_cancel(job)  # last chance: a cancelled job writes nothing more
        job.stage("storing", item)
        write = document_write(document, self.embedder.model_name, chunks, state.job_id)
        summary = self.patience.call(
            job, self.api.put_document, state.collection, item.document_id or "", write
        )
        state.progress.chunks_stored += summary.chunks
        item.status, item.chunks, item.graph = "stored", summary.chunks, summary.graph
