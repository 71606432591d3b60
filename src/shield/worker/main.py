"""The worker process: an RQ worker that runs jobs in-process and keeps them alive in Redis.

Jobs run in the worker's own process (RQ's SimpleWorker), so the embedding model and, later,
Docling are loaded once per worker rather than once per job. While a job runs, a thread renews
its heartbeat every few seconds; if the worker dies, the heartbeat stops, RQ's started-job
registry expires the job within `SHIELD_JOB_HEARTBEAT_SECONDS`, and the registry cleanup (run by
shield-api's reaper and by workers) retries it or marks it failed with the reason.

RQ's work loop ends at the first Redis error it meets between jobs ("found an unhandled exception,
quitting"). A worker here outlives a Redis outage instead: it waits for Redis to answer and starts
a fresh loop, so a restarted Redis does not leave the host without workers (nor depend on
systemd's restart limits). A stop asked for (SIGTERM, SIGINT) is honoured in either state.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError, StopRequested
from rq.intermediate_queue import IntermediateQueue
from rq.job import Job
from rq.utils import as_text
from rq.worker import WorkerStatus

from shield.config import WorkerSettings, secret_value
from shield.jobs.outcomes import initialise_job_metrics
from shield.jobs.queue import interactive_key
from shield.logging import get_logger
from shield.worker.metrics_server import serve_metrics
from shield.worker.tasks import WorkerContext, configure

log = get_logger(__name__)
_STOP = threading.Event()  # a stop was asked for (RQ forgets it when Redis is down)
_MAX_WAIT_SECONDS = 10.0


class ShieldWorker(SimpleWorker):
    heartbeat_seconds = 30

    def _install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self._stop_asked)
        signal.signal(signal.SIGTERM, self._stop_asked)

    def _stop_asked(self, signum: int, frame: FrameType | None) -> None:
        _STOP.set()
        try:
            self.request_stop(signum, frame)  # type: ignore[no-untyped-call]  # RQ's warm stop
        except RedisError:
            raise StopRequested from None  # Redis is down: nothing to record, just stop

    def get_heartbeat_ttl(self, job: Job) -> int:
        return self.heartbeat_seconds

    def execute_job(self, job: Job, queue: Queue) -> None:
        self.connection.srem(interactive_key(queue.name), job.id)  # taken: no longer waiting
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat_seconds / 3):
                try:
                    self.maintain_heartbeats(job)
                except Exception:
                    log.exception("heartbeat_failed", job_id=job.id)

        thread = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
        thread.start()
        try:
            super().execute_job(job, queue)
        finally:
            done.set()
            thread.join(timeout=5)


# Takes `job_id` from the queue into RQ's intermediate queue (as RQ's own BLMOVE does, so a crash
# in between loses nothing) if it is still queued; 1 if it did.
_TAKE = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[1])
    return 1
end
return 0
"""


class LaneWorker(ShieldWorker):
    """A worker of the interactive lane: from the one queue it takes only the jobs marked
    interactive (they wait at its front), so it is free for a small upload while the other
    workers hold long crawls or large files. It looks every `poll_seconds`."""

    poll_seconds = 0.2
    scan = 100  # queued jobs looked at from the front: interactive work waits there

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        self.set_state(WorkerStatus.IDLE)
        queue = self.queues[0]
        marked = interactive_key(queue.name)
        take = self.connection.register_script(_TAKE)
        intermediate = IntermediateQueue(queue.key, self.connection).key
        while True:
            self.heartbeat()
            if self.should_run_maintenance_tasks:
                self.run_maintenance_tasks()  # type: ignore[no-untyped-call]
            waiting = [as_text(i) for i in self.connection.lrange(queue.key, 0, self.scan - 1)]
            if waiting:
                flags = self.connection.smismember(marked, waiting)
                for job_id in (i for i, flag in zip(waiting, flags, strict=True) if flag):
                    if take(keys=[queue.key, intermediate], args=[job_id]):
                        try:
                            return self.job_class.fetch(job_id, connection=self.connection), queue
                        except NoSuchJobError:
                            continue  # cancelled and deleted meanwhile
            if _STOP.wait(self.poll_seconds):
                raise StopRequested


def run_worker(
    settings: WorkerSettings,
    *,
    burst: bool = False,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    **kw: Any,
) -> bool:
    context = WorkerContext.build(settings)
    initialise_job_metrics()
    configure(context)
    if metrics_port:
        token = secret_value(settings.api_token)
        serve_metrics(metrics_host, metrics_port, token)
    ShieldWorker.heartbeat_seconds = settings.job_heartbeat_seconds
    worked = False
    try:
        while True:
            queue = Queue(settings.queue_name, connection=context.redis)  # small work in front
            kind = LaneWorker if settings.worker_lane == "interactive" else ShieldWorker
            worker = kind([queue], connection=context.redis, maintenance_interval=60, **kw)
            lane = settings.worker_lane
            log.info("worker_started", queue=queue.name, lane=lane, name=worker.name)
            try:
                # RQ's scheduler (in a process of its own, one for all workers at a time) puts
                # scheduled jobs on the queue when due: sources' syncs.
                worked = (
                    worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=True)
                    or worked
                )
                error = ""
            except RedisError as exc:  # RQ's own clean-up needs the Redis that just went away
                error = str(exc)
            if burst or _STOP.is_set():
                return worked
            # Nobody asked it to stop: RQ's loop gave up on an error (Redis gone, most likely).
            log.warning("worker_loop_ended", name=worker.name, error=error)
            if _STOP.wait(1.0) or not _wait_for_redis(context.redis):
                return worked
    except StopRequested:
        return worked
    finally:
        context.close()  # stops the converter process with the worker


def _answers(redis: Redis) -> bool:
    try:
        return bool(redis.ping())
    except RedisError:
        return False


def _wait_for_redis(redis: Redis) -> bool:
    """Until Redis answers (True), or until a stop is asked for (False)."""
    delay = 0.5
    while not _STOP.is_set():
        if _answers(redis):
            log.info("redis_back")
            return True
        log.warning("redis_unavailable", retry_in_seconds=delay)
        _STOP.wait(delay)
        delay = min(delay * 2, _MAX_WAIT_SECONDS)
    return False
