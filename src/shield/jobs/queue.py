"""Putting jobs on the RQ queue. The API refers to the worker's functions by name, so it never
imports the worker's heavy dependencies."""

from __future__ import annotations

import time
import uuid

from redis import Redis
from rq import Callback, Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.job import JobStatus as RQStatus

from shield.config import JobMixin
from shield.errors import Conflict
from shield.jobs.models import JobError, JobState, JobStatus
from shield.jobs.outcomes import record_outcome
from shield.jobs.requests import (
    DocumentIngest,
    Queued,
    UploadIngest,
    request_summary,
)
from shield.jobs.store import JobStore
from shield.jobs.transitions import finish

RUN_INGEST = "shield.worker.tasks.run_ingest"
ON_FAILURE = "shield.worker.tasks.on_job_failure"


def interactive_key(queue_name: str) -> str:
    """The ids of the queued jobs that are interactive work. Such a job waits at the front of
    the one queue (every worker takes it first, a worker of an earlier release too, so a
    rollback strands nothing), and a worker of the interactive lane takes only those."""
    return f"shield:interactive:{queue_name}"


def is_interactive(request: Queued, upload: bytes | None, max_bytes: int) -> bool:
    """Small work a person (or an assistant) waits for: one inline text or one uploaded file of
    at most `max_bytes`. Crawls, URLs and inbox folders are bulk: their size is not known."""
    if isinstance(request, UploadIngest):
        return upload is not None and len(upload) <= max_bytes
    if isinstance(request, DocumentIngest):
        return request.text is not None and len(request.text.encode()) <= max_bytes
    return False


class JobQueue:
    def __init__(self, redis: Redis, store: JobStore, settings: JobMixin) -> None:
        self.redis = redis
        self.store = store
        self.settings = settings
        self.queue = Queue(settings.queue_name, connection=redis)
        self.interactive_key = interactive_key(settings.queue_name)

    @property
    def queues(self) -> tuple[Queue, ...]:
        return (self.queue,)

    def submit(
        self,
        request: Queued,
        collection: str,
        upload: bytes | None = None,
        job_id: str | None = None,
    ) -> JobState:
        job_id = job_id or uuid.uuid4().hex
        interactive = is_interactive(request, upload, self.settings.interactive_max_bytes)
        queue = self.queue
        state = JobState(
            job_id=job_id,
            kind=request.kind,
            collection=collection,
            request=request_summary(request),
            max_attempts=self.settings.job_retries + 1,
        )
        rq_job = queue.create_job(
            RUN_INGEST,
            args=(job_id,),
            job_id=job_id,
            timeout=self.settings.job_timeout,
            result_ttl=self.settings.job_ttl_seconds,
            failure_ttl=self.settings.job_ttl_seconds,
            # Retried at once: a crashed worker's job goes to the next free worker. Waits for a
            # flaky dependency happen inside the job (bounded retries, circuit breakers).
            retry=Retry(max=self.settings.job_retries) if self.settings.job_retries else None,
            on_failure=Callback(ON_FAILURE),
        )
        # shield-api made the collection when the request asked (create_collection): the
        # worker needs no word of it, and a worker of an earlier release would refuse it.
        stored = request.model_dump(mode="json", exclude_none=True, exclude={"create_collection"})
        # The state and the queue entry are written in one MULTI/EXEC: one round trip, and no
        # moment where one exists without the other.
        with self.redis.pipeline() as pipe:
            # RQ starts the MULTI itself. Small work waits at the front: workers take it first.
            queue.enqueue_job(rq_job, pipeline=pipe, at_front=interactive)
            if interactive:
                pipe.sadd(self.interactive_key, job_id)
                pipe.expire(self.interactive_key, self.settings.job_ttl_seconds)
            self.store.create(state, stored, time.time(), pipeline=pipe, upload=upload)
            created = pipe.execute()[-1]
        if not created:
            raise RuntimeError(f"job {job_id} already exists")
        record_outcome(state, "queued")
        return state

    def cancel(self, state: JobState) -> JobState:
        """Cancel now if queued; a running job stops at its next check and stores nothing more."""
        self.store.request_cancel(state.job_id)
        try:
            rq_job = Job.fetch(state.job_id, connection=self.redis)
            if rq_job.get_status() in (RQStatus.QUEUED, RQStatus.SCHEDULED, RQStatus.DEFERRED):
                rq_job.cancel()
        except NoSuchJobError:
            pass
        error = JobError(code="cancelled", message="cancelled on request")
        if not finish(self.store, state, JobStatus.CANCELLED, error):
            current = self.store.get(state.job_id)
            status = current.status if current else "expired"
            raise Conflict(f"job {state.job_id} has already {status}; it cannot be cancelled")
        return state

    def position(self, job_id: str) -> int | None:
        """How many queued jobs a worker takes before this one (0: it is next); None when it
        is not waiting in a queue (running, ended, or waiting to be retried)."""
        return self.queue.get_job_position(job_id)

    def size(self) -> int:
        return int(self.queue.count)
