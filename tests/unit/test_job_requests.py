"""A job's request is one typed model on both sides of the queue, and its state changes go
through one state machine."""

from __future__ import annotations

import pytest
from redis import Redis

from shield.config import ApiSettings
from shield.errors import InvalidInput
from shield.jobs.models import ItemResult, JobError, JobState, JobStatus
from shield.jobs.queue import JobQueue
from shield.jobs.requests import (
    CRAWL_MAX_DEPTH,
    CRAWL_MAX_PAGES,
    CrawlIngest,
    DocumentIngest,
    UploadedFile,
    UploadIngest,
    parse_job_request,
)
from shield.jobs.store import JobStore
from shield.jobs.transitions import JobReporter, finish


def queue_of(redis: Redis) -> JobQueue:
    settings = ApiSettings(job_retries=0, queue_name="unit-requests")
    return JobQueue(redis, JobStore(redis, 3600), settings)


def stored_request(queue: JobQueue, job_id: str) -> dict[str, object]:
    raw = queue.store.request(job_id)
    assert raw is not None
    return raw


def test_a_crawl_comes_back_to_the_worker_typed_with_its_defaults(redis_client: Redis) -> None:
    queue = queue_of(redis_client)
    state = queue.submit(CrawlIngest(kind="crawl", url="https://docs.example.org/"), "docs")
    request = parse_job_request(stored_request(queue, state.job_id))
    assert isinstance(request, CrawlIngest)
    assert (request.max_pages, request.max_depth) == (CRAWL_MAX_PAGES, CRAWL_MAX_DEPTH)
    assert state.kind == "crawl"
    assert state.request["max_pages"] == CRAWL_MAX_PAGES


def test_an_upload_is_a_document_job_that_names_its_file(redis_client: Redis) -> None:
    queue = queue_of(redis_client)
    upload = UploadIngest(
        upload=UploadedFile(filename="handbook.pdf", format="pdf", bytes=3),
        metadata={"team": "ops"},
    )
    state = queue.submit(upload, "docs", upload=b"%PD")
    assert state.kind == "document"
    request = parse_job_request(stored_request(queue, state.job_id))
    assert isinstance(request, UploadIngest)
    assert request.upload.filename == "handbook.pdf"
    assert request.metadata == {"team": "ops"}
    assert queue.store.upload(state.job_id) == b"%PD"


def test_inline_text_is_sized_not_copied_into_the_state(redis_client: Redis) -> None:
    queue = queue_of(redis_client)
    state = queue.submit(DocumentIngest(kind="document", text="x" * 500, source="a.md"), "docs")
    assert state.request == {"kind": "document", "source": "a.md", "text_chars": 500}
    request = parse_job_request(stored_request(queue, state.job_id))
    assert isinstance(request, DocumentIngest)
    assert request.text == "x" * 500


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"kind": "crawl", "url": "https://a.example/", "max_pages": "many"}, "max_pages"),
        ({"kind": "document"}, "exactly one of text, url or path"),
        ({"kind": "reindex"}, "request"),
        ({"kind": "document", "upload": {"filename": "a.pdf"}}, "upload.format"),
    ],
)
def test_a_request_the_worker_cannot_run_is_refused_with_the_reason(
    raw: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidInput, match="not one this worker can run") as excinfo:
        parse_job_request(raw)
    assert named in excinfo.value.message


def test_a_final_state_is_reached_once_and_counted_once(redis_client: Redis) -> None:
    queue = queue_of(redis_client)
    state = queue.submit(DocumentIngest(kind="document", text="abc"), "docs")
    assert finish(queue.store, state, JobStatus.SUCCEEDED, None)
    stored = queue.store.get(state.job_id)
    assert stored is not None
    assert (stored.status, stored.stage) == (JobStatus.SUCCEEDED, "done")
    assert stored.finished_at is not None
    late = JobError(code="job_failed", message="too late")
    assert not finish(queue.store, state, JobStatus.FAILED, late)
    stored = queue.store.get(state.job_id)
    assert stored is not None
    assert stored.status == JobStatus.SUCCEEDED
    with pytest.raises(ValueError, match="not a final status"):
        finish(queue.store, state, JobStatus.RUNNING, None)


def test_the_reporter_saves_the_stage_of_the_job_and_of_its_document(
    redis_client: Redis,
) -> None:
    queue = queue_of(redis_client)
    submitted = queue.submit(DocumentIngest(kind="document", text="abc"), "docs")
    state = queue.store.get(submitted.job_id)
    assert isinstance(state, JobState)
    item = ItemResult(source="a.md")
    state.result.documents.append(item)
    reporter = JobReporter(queue.store, state)
    reporter.stage("embedding", item)
    saved = queue.store.get(state.job_id)
    assert saved is not None
    assert saved.stage == "embedding"
    assert saved.result.documents[0].status == "embedding"
    assert not reporter.cancel_requested
    queue.cancel(saved)
    assert reporter.cancel_requested
