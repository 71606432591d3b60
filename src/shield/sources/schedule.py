"""When a source syncs: when asked (`submit_sync`), and by its schedule, on RQ's own scheduler.

A scheduled source has one job waiting in RQ's scheduled registry, due at `next_sync_at`. The
workers run RQ's scheduler (`shield worker` starts it), which puts that job on the queue when it
is due; the job (`shield.worker.tasks.run_scheduled_sync`) submits the sync and schedules the
next one. The schedule lives in Redis, so it survives restarts; shield-api, when it starts, puts
back any that went missing (a restore, a Redis that lost its data).

At most one sync of a source runs at a time: a sync claims its source when it is submitted and
frees it when it ends; a sync asked for meanwhile is refused, and a scheduled one skipped.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from shield.errors import Conflict
from shield.jobs.models import JobState
from shield.jobs.queue import JobQueue
from shield.jobs.requests import SourceSync
from shield.logging import get_logger
from shield.sources.models import Source, every_interval
from shield.sources.store import SourceStore

log = get_logger(__name__)
SCHEDULED_SYNC = "shield.worker.tasks.run_scheduled_sync"
#: How soon a schedule that went missing, or whose time passed while nothing ran, comes due.
CATCH_UP = timedelta(seconds=5)


def schedule_key(source_id: str) -> str:
    return f"shield:source:{source_id}:schedule"


class SyncRunning(Conflict):
    """A sync of the source runs already."""


def submit_sync(
    queue: JobQueue, sources: SourceStore, source: Source, *, scheduled: bool, force: bool
) -> JobState:
    """Queue a sync of the source (a job of kind `sync`); SyncRunning if one runs already."""
    job_id = uuid.uuid4().hex
    seconds = queue.settings.job_timeout * (queue.settings.job_retries + 1) + 300
    holder = sources.claim_sync(source.source_id, job_id, seconds)
    if holder is not None:
        running = queue.store.get(holder)
        if running is not None and not running.is_final:
            raise SyncRunning(
                f"a sync of source {source.source_id} is running already: job {holder}",
                job_id=holder,
            )
        sources.release_sync(source.source_id, holder)  # it ended without saying so
        holder = sources.claim_sync(source.source_id, job_id, seconds)
        if holder is not None:
            raise SyncRunning(
                f"a sync of source {source.source_id} has just started: job {holder}",
                job_id=holder,
            )
    request = SourceSync(source_id=source.source_id, scheduled=scheduled, force=force)
    try:
        return queue.submit(request, source.collection, job_id=job_id)
    except BaseException:
        sources.release_sync(source.source_id, job_id)
        raise


def schedule(queue: Queue, sources: SourceStore, source_id: str, when: datetime | None) -> None:
    """Have the source sync by itself at `when` (None: its interval from now), or, if it has
    no interval (or is gone), not at all."""
    registry = queue.scheduled_job_registry
    redis: Redis = queue.connection
    waiting = _scheduled_job(redis, source_id)
    if waiting is not None and _waiting(registry, waiting):  # not run yet
        registry.remove(waiting, delete_job=True)
    source = sources.get(source_id)
    if source is None or source.every is None:
        redis.delete(schedule_key(source_id))
        if source is not None:
            sources.set_next(source_id, None)
        return
    due = when or datetime.now(UTC) + every_interval(source.every)
    job_id = f"shield-source-{source_id}-{int(due.timestamp())}"
    queue.enqueue_at(
        due, SCHEDULED_SYNC, source_id, job_id=job_id, result_ttl=3600, failure_ttl=86_400
    )
    redis.set(schedule_key(source_id), job_id)
    sources.set_next(source_id, due.isoformat(timespec="seconds"))


def ensure_schedules(queue: Queue, sources: SourceStore) -> int:
    """Put back the schedules that went missing; how many. A schedule whose time passed while
    nothing ran comes due at once."""
    registry = queue.scheduled_job_registry
    redis: Redis = queue.connection
    restored = 0
    for source in sources.list():
        if source.every is None:
            continue
        job_id = _scheduled_job(redis, source.source_id)
        if job_id is not None and _waiting(registry, job_id):
            continue
        if job_id is not None and queue.fetch_job(job_id) is not None:
            continue  # due now: on the queue, or running
        now = datetime.now(UTC)
        planned = _parsed(source.next_sync_at)
        schedule(queue, sources, source.source_id, max(planned or now, now + CATCH_UP))
        restored += 1
        log.info("source_schedule_restored", source_id=source.source_id)
    return restored


def _scheduled_job(redis: Redis, source_id: str) -> str | None:
    """The id of the RQ job that the source's schedule last put in, if any."""
    value = redis.get(schedule_key(source_id))
    return value.decode() if isinstance(value, bytes) else value


def _waiting(registry: ScheduledJobRegistry, job_id: str) -> bool:
    """The job waits in RQ's scheduled registry (not due, or due and not yet queued)."""
    return registry.connection.zscore(registry.key, job_id) is not None


def _parsed(when: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(when) if when else None
    except ValueError:
        return None
