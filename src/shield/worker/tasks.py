"""The functions RQ runs. They are plain functions in an importable module, and they share one
`WorkerContext` per process so the model and clients load once, not once per job."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog
from redis import Redis

from shield.config import WorkerSettings
from shield.documents.chunking import Chunker
from shield.documents.conversion import ConvertOptions
from shield.embeddings import Embedder, build_embedder
from shield.errors import InvalidInput
from shield.jobs.callbacks import on_job_failure
from shield.jobs.queue import JobQueue
from shield.jobs.requests import CrawlIngest
from shield.jobs.store import JobStore
from shield.logging import get_logger
from shield.metrics import ACTIVE_JOBS
from shield.net.egress import EgressPolicy
from shield.net.fetch import GuardedFetcher
from shield.sources.schedule import SyncRunning, schedule, submit_sync
from shield.sources.store import SourceStore
from shield.worker.api_client import WorkerApi
from shield.worker.converter import ConverterProcess
from shield.worker.patience import Patience
from shield.worker.pipeline import DocumentBudget, IngestPipeline
from shield.worker.sources import DocumentReader
from shield.worker.syncing import SourceSyncer

if TYPE_CHECKING:
    from shield.crawl.crawler import CrawlOptions
    from shield.worker.crawling import CrawlRun

log = get_logger(__name__)

__all__ = ["WorkerContext", "configure", "on_job_failure", "run_ingest", "run_scheduled_sync"]


@dataclass
class WorkerContext:
    settings: WorkerSettings
    redis: Redis
    store: JobStore
    pipeline: IngestPipeline

    @classmethod
    def build(cls, settings: WorkerSettings, embedder: Embedder | None = None) -> WorkerContext:
        redis = Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout)
        store = JobStore(redis, settings.job_ttl_seconds)
        api = WorkerApi.from_settings(settings)
        fetcher = GuardedFetcher(
            EgressPolicy.from_allowlist(settings.crawl_allowlist),
            timeout=settings.fetch_timeout,
            max_bytes=settings.max_upload_bytes,
        )
        converter = ConverterProcess(
            ConvertOptions(
                artifacts_path=str(settings.docling_artifacts_path or "") or None,
                max_pages=settings.max_document_pages,
                max_tokens=settings.chunk_tokens,
                max_chunks=settings.max_document_chunks,
                ocr_languages=settings.ocr_languages,
                ocr_page_seconds=settings.ocr_page_seconds,
            ),
            timeout=settings.convert_timeout,
            log_level=settings.log_level,
            log_format=settings.log_format,
        )
        reader = DocumentReader(settings, store, fetcher)
        syncer = SourceSyncer(
            settings, SourceStore(redis), reader, functools.partial(crawl_with, settings)
        )
        pipeline = IngestPipeline(
            store,
            api,
            embedder or build_embedder(settings, "worker"),
            Chunker(settings.chunk_tokens, settings.chunk_overlap),
            reader,
            converter,
            functools.partial(start_crawl, settings),
            Patience(settings.dependency_patience_seconds),
            DocumentBudget(settings.max_document_chunks, settings.max_document_seconds),
            syncer,
        )
        return cls(settings, redis, store, pipeline)

    def close(self) -> None:
        self.pipeline.converter.close()
        self.pipeline.reader.fetcher.close()


def start_crawl(settings: WorkerSettings, request: CrawlIngest) -> CrawlRun:
    # Crawl4AI keeps its state (a log, a cache database) under its base directory; imported
    # here, at the first crawl, after that directory is set.
    os.environ.setdefault("CRAWL4_AI_BASE_DIRECTORY", str(settings.data_dir / "crawl4ai"))
    from shield.worker.crawling import crawl_options

    return crawl_with(settings, crawl_options(settings, request))


def crawl_with(settings: WorkerSettings, options: CrawlOptions) -> CrawlRun:
    os.environ.setdefault("CRAWL4_AI_BASE_DIRECTORY", str(settings.data_dir / "crawl4ai"))
    from shield.worker.crawling import CrawlRun

    return CrawlRun(EgressPolicy.from_allowlist(settings.crawl_allowlist), options)


_context: WorkerContext | None = None


def configure(context: WorkerContext) -> None:
    global _context  # noqa: PLW0603 - one context per worker process, set at start
    _context = context


def current() -> WorkerContext:
    if _context is None:
        configure(WorkerContext.build(WorkerSettings()))
    assert _context is not None
    return _context


def run_ingest(job_id: str) -> str:
    """Run one ingest job; returns its final status (the job's state holds the details)."""
    context = current()
    structlog.contextvars.bind_contextvars(job_id=job_id)
    try:
        return _run(context, job_id)
    finally:
        structlog.contextvars.unbind_contextvars("job_id")


def _run(context: WorkerContext, job_id: str) -> str:
    state = context.store.get(job_id)
    if state is None:
        raise InvalidInput(f"job {job_id} has no state (expired?)")
    if state.is_final:
        return state.status.value  # cancelled while it waited in the queue
    with ACTIVE_JOBS.track_inprogress():
        final = context.pipeline.run(state)
    log.info("job_finished", job_id=job_id, status=final.status.value)
    return final.status.value


def run_scheduled_sync(source_id: str) -> str:
    """A source's schedule came due (RQ's scheduler queued this): submit its sync, unless one
    runs already, and schedule the next."""
    context = current()
    sources = SourceStore(context.redis)
    queue = JobQueue(context.redis, context.store, context.settings)
    try:
        source = sources.get(source_id)
        if source is None or source.every is None:
            return "unscheduled"
        try:
            state = submit_sync(queue, sources, source, scheduled=True, force=False)
        except SyncRunning as exc:
            log.info("scheduled_sync_skipped", source_id=source_id, reason=exc.message)
            return "skipped"
        log.info("scheduled_sync_queued", source_id=source_id, job_id=state.job_id)
        return state.job_id
    finally:
        schedule(queue.queue, sources, source_id, None)
