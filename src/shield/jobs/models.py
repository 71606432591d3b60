"""A job's state: what `GET /jobs/{id}` answers and every SSE event carries."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from shield.errors import FailureCause


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
UNFINISHED_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
# Uploads are `document` jobs; `reindex` jobs run inside shield-api; `sync` jobs keep a source.
JobKind = Literal["document", "crawl", "reindex", "sync"]


class JobError(BaseModel):
    code: str
    message: str
    cause: FailureCause | None = None


class JobWait(BaseModel):
    """A running job waiting out a dependency that is briefly unavailable."""

    service: str  # the dependency: api, embedder, ...
    reason: str
    since: str
    tries: int
    next_try_at: str


class ItemResult(BaseModel):
    """What became of one document (or, for crawls, one page).

    `status` moves through pending -> reading -> converting -> chunking -> embedding -> storing
    while the job works on it, and ends stored, unchanged, failed or skipped."""

    source: str
    status: str = "pending"
    document_id: str | None = None
    title: str | None = None
    format: str | None = None
    pages: int | None = None
    ocr_pages: int | None = None  # of its pages, those read by OCR (a scan, a photo)
    chunks: int = 0
    error: str | None = None
    cause: FailureCause | None = None  # set with `error` when the document failed
    # The knowledge graph, which takes a stored document in after it is searchable: pending,
    # stored, or failed with graph_error (read live by GET /jobs/{id}). None: no graph.
    graph: str | None = None
    graph_error: str | None = None


class JobProgress(BaseModel):
    documents_total: int = 0
    documents_done: int = 0
    documents_failed: int = 0
    chunks_embedded: int = 0
    chunks_stored: int = 0
    # Crawls: links seen, pages read, pages passed over on purpose (with the reason in the
    # result), pages that could not be read.
    pages_discovered: int = 0
    pages_fetched: int = 0
    pages_skipped: int = 0
    pages_failed: int = 0
    # The job's documents in the knowledge graph, as GET /jobs/{id} reads them now.
    graph_pending: int = 0
    graph_stored: int = 0
    graph_failed: int = 0
    # Reindexing: the collection's points, and how many have their lexical vector so far.
    points_total: int = 0
    points_done: int = 0


class JobResult(BaseModel):
    documents: list[ItemResult] = Field(default_factory=list)
    chunks: int = 0


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class JobState(BaseModel):
    job_id: str
    kind: str
    status: JobStatus = JobStatus.QUEUED
    stage: str = "queued"
    collection: str
    progress: JobProgress = Field(default_factory=JobProgress)
    result: JobResult = Field(default_factory=JobResult)
    error: JobError | None = None
    waiting_for: JobWait | None = Field(
        default=None,
        description=(
            "What the job waits for while a dependency is unavailable (service, reason, "
            "tries, next try); null once it answers."
        ),
    )
    queue_position: int | None = Field(
        default=None,
        description=(
            "A queued job's place: how many queued jobs the workers take before it (0: it "
            "is next); null once it runs or has ended."
        ),
    )
    attempts: int = 0
    max_attempts: int = 1
    created_at: str = Field(default_factory=utcnow)
    started_at: str | None = None
    updated_at: str = Field(default_factory=utcnow)
    finished_at: str | None = None
    request: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES
