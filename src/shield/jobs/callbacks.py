"""RQ failure callback: turns an exception, a timeout or a lost worker into the job's state.

Runs in the worker for ordinary failures and in whichever process cleans RQ's started-job
registry for abandoned jobs (shield-api's reaper, or a worker), so it imports nothing heavy.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from shield.errors import cause_of
from shield.jobs.models import JobError, JobStatus
from shield.jobs.store import JobStore
from shield.jobs.transitions import finish, retry_later
from shield.logging import get_logger

log = get_logger(__name__)
FALLBACK_TTL = 7 * 24 * 3600


def describe_failure(job: Job, exc_type: type[BaseException], exc: BaseException) -> JobError:
    if issubclass(exc_type, AbandonedJobError):
        return JobError(
            code="worker_lost",
            message="the worker running this job stopped before it finished "
            "(crash, kill or restart)",
            cause="internal",
        )
    if issubclass(exc_type, JobTimeoutException):
        return JobError(
            code="timeout",
            message=f"the job ran longer than its limit of {job.timeout} s (SHIELD_JOB_TIMEOUT)",
            cause="internal",
        )
    message = getattr(exc, "message", None) or str(exc) or exc_type.__name__
    return JobError(
        code="job_failed", message=f"{exc_type.__name__}: {message}", cause=cause_of(exc)
    )


def on_job_failure(
    job: Job,
    connection: Any,
    exc_type: type[BaseException],
    exc: BaseException,
    _tb: TracebackType | Any,
) -> None:
    store = JobStore(connection, ttl_seconds=int(job.failure_ttl or FALLBACK_TTL))
    state = store.get(job.id)
    if state is None or state.is_final:
        return
    error = describe_failure(job, exc_type, exc)
    if job.retries_left:
        saved, outcome = retry_later(store, state, error), "retried"
    else:
        saved, outcome = finish(store, state, JobStatus.FAILED, error), "failed"
    if saved:
        log.warning("job_attempt_failed", job_id=job.id, outcome=outcome, error=error.message)
