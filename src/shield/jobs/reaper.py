"""Keeps jobs honest in the background (run by shield-api).

Expires abandoned jobs (their worker died) so that RQ retries them or they fail with the reason,
fails jobs whose queue entry vanished, and samples the queue depth.
"""

from __future__ import annotations

import asyncio
import time

from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.timeouts import TimerDeathPenalty

from shield.jobs.models import JobError, JobStatus
from shield.jobs.queue import JobQueue
from shield.jobs.transitions import finish
from shield.logging import get_logger
from shield.metrics import QUEUE_SIZE

log = get_logger(__name__)
SCAN_LIMIT = 200
LOST_AFTER_SECONDS = 60


def reap_once(jobs: JobQueue) -> None:
    store = jobs.store
    for queue in jobs.queues:
        # Signals only work in the main thread; the reaper runs in a worker thread.
        StartedJobRegistry(queue=queue, death_penalty_class=TimerDeathPenalty).cleanup()
        QUEUE_SIZE.labels(queue.name).set(queue.count)
    # Only unfinished jobs old enough that their queue entry must exist by now.
    for job_id in store.active_since_before(time.time() - LOST_AFTER_SECONDS, SCAN_LIMIT):
        if Job.exists(job_id, connection=jobs.redis) or store.alive(job_id):
            continue
        state = store.get(job_id)
        if state is None:
            store.forget_active(job_id)  # expired
            continue
        # Its RQ job is gone (Redis lost it, or it expired), or the shield-api that ran it
        # stopped: it would never run or finish.
        message = (
            "shield-api stopped while it ran; the collection was left as it was, submit it again"
            if state.kind == "reindex"
            else "the job's queue entry was lost (was Redis reset?); submit it again"
        )
        error = JobError(code="lost", message=message, cause="internal")
        if finish(store, state, JobStatus.FAILED, error):
            log.warning("job_lost", job_id=state.job_id)


async def run_reaper(jobs: JobQueue, interval: float) -> None:
    while True:
        try:
            await asyncio.to_thread(reap_once, jobs)
        except Exception as exc:  # noqa: BLE001 - the reaper must outlive a Redis outage
            log.warning("reaper_failed", error=str(exc))
        await asyncio.sleep(interval)
