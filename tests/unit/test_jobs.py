"""Job states in Redis: events for every change, final states are final, failures recorded."""

from __future__ import annotations

import time
import uuid

import pytest
from redis import Redis
from rq import Queue
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from shield.config import ApiSettings
from shield.jobs.callbacks import on_job_failure
from shield.jobs.models import JobState, JobStatus
from shield.jobs.queue import JobQueue
from shield.jobs.requests import DocumentIngest
from shield.jobs.store import INDEX_KEY, JobCursor, JobFilter, JobStore, events_key, state_key


def text_job(text: str) -> DocumentIngest:
    return DocumentIngest(kind="document", text=text)


def new_queue(redis: Redis, retries: int = 1) -> JobQueue:
    settings = ApiSettings(job_retries=retries, queue_name="unit-jobs")
    return JobQueue(redis, JobStore(redis, 3600), settings)


def events(redis: Redis, job_id: str) -> list[JobState]:
    return [
        JobState.model_validate_json(fields[b"state"])
        for _id, fields in redis.xrange(events_key(job_id))  # type: ignore[union-attr]
    ]


def test_every_change_is_an_event_and_final_is_final(redis_client: Redis) -> None:
    queue = new_queue(redis_client)
    state = queue.submit(text_job("abc"), "docs")
    assert queue.store.request(state.job_id) == {"kind": "document", "text": "abc"}
    assert state.request == {"kind": "document", "text_chars": 3}
    state.status, state.stage = JobStatus.RUNNING, "embedding"
    assert queue.store.save(state)
    queue.cancel(state)
    state.status = JobStatus.SUCCEEDED  # a late worker cannot overwrite the cancel
    assert not queue.store.save(state)
    stored = queue.store.get(state.job_id)
    assert stored is not None
    assert stored.status == JobStatus.CANCELLED
    assert [e.status for e in events(redis_client, state.job_id)] == [
        JobStatus.QUEUED,
        JobStatus.RUNNING,
        JobStatus.CANCELLED,
    ]
    assert queue.store.cancel_requested(state.job_id)


def test_cancelling_a_queued_job_takes_it_off_the_queue(redis_client: Redis) -> None:
    queue = new_queue(redis_client)
    state = queue.submit(text_job("abc"), "docs")
    assert queue.size() == 1
    queue.cancel(state)
    assert queue.size() == 0
    assert Job.fetch(state.job_id, connection=redis_client).get_status() == "canceled"


def _rq_job(redis: Redis, job_id: str) -> Job:
    return Job.fetch(job_id, connection=redis)


def test_lost_worker_with_retries_left_requeues(redis_client: Redis) -> None:
    queue = new_queue(redis_client, retries=1)
    state = queue.submit(text_job("abc"), "docs")
    job = _rq_job(redis_client, state.job_id)
    on_job_failure(job, redis_client, AbandonedJobError, AbandonedJobError(), None)
    after = queue.store.get(state.job_id)
    assert after is not None
    assert after.status == JobStatus.QUEUED
    assert after.stage == "retrying"
    assert after.error is not None
    assert after.error.code == "worker_lost"
    assert "will be retried" in after.error.message


def test_lost_worker_without_retries_fails_with_the_reason(redis_client: Redis) -> None:
    queue = new_queue(redis_client, retries=0)
    state = queue.submit(text_job("abc"), "docs")
    job = _rq_job(redis_client, state.job_id)
    on_job_failure(job, redis_client, AbandonedJobError, AbandonedJobError(), None)
    after = queue.store.get(state.job_id)
    assert after is not None
    assert after.status == JobStatus.FAILED
    assert after.finished_at is not None
    assert after.error is not None
    assert "worker running this job stopped" in after.error.message


def test_timeouts_say_which_limit(redis_client: Redis) -> None:
    queue = new_queue(redis_client, retries=0)
    state = queue.submit(text_job("abc"), "docs")
    job = _rq_job(redis_client, state.job_id)
    on_job_failure(job, redis_client, JobTimeoutException, JobTimeoutException("t"), None)
    after = queue.store.get(state.job_id)
    assert after is not None
    assert after.error is not None
    assert after.error.code == "timeout"
    assert "SHIELD_JOB_TIMEOUT" in after.error.message


def test_a_page_lists_newest_first(redis_client: Redis) -> None:
    queue = new_queue(redis_client)
    ids = []
    for _ in range(3):
        ids.append(queue.submit(text_job("x"), "docs").job_id)
        time.sleep(0.01)
    assert [s.job_id for s in queue.store.page(JobFilter(), 2).jobs] == ids[::-1][:2]
    assert isinstance(queue.queue, Queue)


def test_reaper_fails_jobs_whose_queue_entry_vanished(redis_client: Redis) -> None:
    from shield.jobs.reaper import reap_once

    queue = new_queue(redis_client)
    kept = queue.submit(text_job("kept"), "docs")
    lost = JobState(job_id="f" * 32, kind="document", collection="docs")
    queue.store.create(lost, {"kind": "document", "text": "x"}, time.time() - 3600)
    old_but_queued = queue.submit(text_job("old"), "docs")
    redis_client.zadd("shield:jobs:active", {old_but_queued.job_id: time.time() - 3600})
    reap_once(queue)
    failed = queue.store.get(lost.job_id)
    assert failed is not None
    assert failed.status == JobStatus.FAILED
    assert failed.error is not None
    assert failed.error.code == "lost"
    for job_id in (kept.job_id, old_but_queued.job_id):  # their queue entries exist
        state = queue.store.get(job_id)
        assert state is not None
        assert state.status == JobStatus.QUEUED
    # Final jobs leave the active set; unfinished ones stay in it.
    assert queue.store.active_since_before(time.time(), 10) == [old_but_queued.job_id, kept.job_id]


def _stored_job(store: JobStore, created: float, collection: str = "docs") -> JobState:
    state = JobState(job_id=uuid.uuid4().hex, kind="document", collection=collection)
    store.create(state, {"kind": "document", "text": "x"}, created)
    return state


def test_pages_list_every_job_once_newest_first_even_when_created_at_the_same_time(
    redis_client: Redis,
) -> None:
    store = JobStore(redis_client, 3600)
    jobs = [_stored_job(store, 1000.0 + (i // 4)) for i in range(12)]  # in fours per instant
    seen: list[str] = []
    after: JobCursor | None = None
    for _ in range(20):
        page = store.page(JobFilter(), 5, after)
        seen += [job.job_id for job in page.jobs]
        after = page.next_cursor
        if after is None:
            break
    assert sorted(seen) == sorted(job.job_id for job in jobs)
    assert len(seen) == len(set(seen))
    created = {job.job_id: 1000.0 + (i // 4) for i, job in enumerate(jobs)}
    assert [created[i] for i in seen] == sorted(created.values(), reverse=True)


def test_a_page_filters_and_forgets_jobs_whose_state_expired(redis_client: Redis) -> None:
    store = JobStore(redis_client, 3600)
    ops = [_stored_job(store, 1000.0 + i, "ops") for i in range(3)]
    _stored_job(store, 2000.0, "legal")
    redis_client.delete(state_key(ops[0].job_id))  # expired
    page = store.page(JobFilter(collection="ops"), 10)
    assert [job.job_id for job in page.jobs] == [ops[2].job_id, ops[1].job_id]
    assert page.next_cursor is None
    assert redis_client.zscore(INDEX_KEY, ops[0].job_id) is None
    queued = JobFilter(statuses=frozenset({JobStatus.QUEUED}), kinds=frozenset({"crawl"}))
    assert store.page(queued, 10).jobs == []


def test_a_cursor_is_only_one_this_api_gave() -> None:
    cursor = JobCursor(1764772800.123, "5f0e")
    assert JobCursor.decode(cursor.encode()) == cursor
    for bad in ("", "not-base64!", "WzFd", "eyJhIjoxfQ"):
        with pytest.raises(ValueError, match="not a cursor this API gave"):
            JobCursor.decode(bad)


def test_small_work_waits_at_the_front_marked_with_its_place_shown(redis_client: Redis) -> None:
    from shield.jobs.requests import CrawlIngest, UploadedFile, UploadIngest

    settings = ApiSettings(
        job_retries=0, queue_name=f"unit-lanes-{uuid.uuid4().hex[:8]}", interactive_max_bytes=1024
    )
    queue = JobQueue(redis_client, JobStore(redis_client, 3600), settings)
    crawl = queue.submit(CrawlIngest(kind="crawl", url="https://docs.example.org/"), "docs")
    large = queue.submit(text_job("x" * 2048), "docs")
    note = queue.submit(text_job("a short note"), "docs")
    data = b"# Notes\n"
    upload = queue.submit(
        UploadIngest(upload=UploadedFile(filename="n.md", format="md", bytes=len(data))),
        "docs",
        upload=data,
    )
    # One queue (a worker of any release takes every job), the small ones at its front and
    # marked for the interactive lane; the crawl and the large text after them.
    assert queue.queue.job_ids == [upload.job_id, note.job_id, crawl.job_id, large.job_id]
    marked = {m.decode() for m in redis_client.smembers(queue.interactive_key)}
    assert marked == {note.job_id, upload.job_id}
    assert [queue.position(s.job_id) for s in (upload, note, crawl, large)] == [0, 1, 2, 3]
    assert queue.size() == 4
    queue.cancel(note)
    assert queue.position(note.job_id) is None
    assert queue.position(crawl.job_id) == 1


def test_failures_are_counted_by_their_cause(redis_client: Redis) -> None:
    from prometheus_client import REGISTRY

    from shield.jobs.models import JobError
    from shield.jobs.transitions import finish

    def failed(cause: str) -> float:
        labels = {"kind": "document", "status": "failed", "cause": cause}
        return REGISTRY.get_sample_value("shield_jobs_total", labels) or 0.0

    queue = new_queue(redis_client, retries=0)
    before = {cause: failed(cause) for cause in ("input", "dependency", "internal")}
    for cause in ("input", "input", "dependency"):
        state = queue.submit(text_job("x"), "docs")
        finish(queue.store, state, JobStatus.FAILED, JobError(code="c", message="m", cause=cause))  # type: ignore[arg-type]
    assert failed("input") - before["input"] == 2
    assert failed("dependency") - before["dependency"] == 1
    assert failed("internal") - before["internal"] == 0
