"""Keeps jobs honest in the background.

Expires abandoned jobs (their worker died) so that RQ retries them or they fail with the reason,
fails jobs whose queue entry vanished, and samples the queue depth.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from rq import Queue
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.timeouts import TimerDeathPenalty

from shield.api.services import Services
from shield.jobs.models import JobError, JobStatus, utcnow
from shield.logging import get_logger
from shield.metrics import JOBS, QUEUE_SIZE

log = get_logger(__name__)
SCAN_LIMIT = 1000
LOST_AFTER_SECONDS = 30  # a job is created a moment before its queue entry


def reap_once(services: Services) -> None:
    queue: Queue = services.queue.queue
    # Signals only work in the main thread; the reaper runs in a worker thread.
    StartedJobRegistry(queue=queue, death_penalty_class=TimerDeathPenalty).cleanup()
    QUEUE_SIZE.labels(queue.name).set(queue.count)
    settled = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=LOST_AFTER_SECONDS)
    for state in services.jobs.recent(SCAN_LIMIT):
        if state.is_final or dt.datetime.fromisoformat(state.updated_at) > settled:
            continue
        if Job.exists(state.job_id, connection=services.redis):
            continue
        # Its RQ job is gone (Redis lost it, or it expired): it would never run or finish.
        state.status = JobStatus.FAILED
        state.stage = "failed"
        state.finished_at = utcnow()
        state.error = JobError(
            code="lost",
            message="the job's queue entry was lost (was Redis reset?); submit it again",
        )
        if services.jobs.save(state):
            JOBS.labels(state.kind, "failed").inc()
            log.warning("job_lost", job_id=state.job_id)


async def run_reaper(services: Services, interval: float) -> None:
    while True:
        try:
            await asyncio.to_thread(reap_once, services)
        except Exception as exc:  # noqa: BLE001 - the reaper must outlive a Redis outage
            log.warning("reaper_failed", error=str(exc))
        await asyncio.sleep(interval)
