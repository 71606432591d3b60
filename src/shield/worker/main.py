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
from rq.exceptions import StopRequested
from rq.job import Job

from shield.config import WorkerSettings, secret_value
from shield.jobs.outcomes import initialise_job_metrics
from shield.jobs.queue import interactive_queue_name
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
            names = _queue_names(settings)
            queues = [Queue(name, connection=context.redis) for name in names]
            worker = ShieldWorker(queues, connection=context.redis, maintenance_interval=60, **kw)
            log.info("worker_started", queues=list(names), name=worker.name)
            try:
                worked = worker.work(burst=burst, logging_level=settings.log_level) or worked
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


def _queue_names(settings: WorkerSettings) -> tuple[str, ...]:
    """Interactive work first: a small upload never waits behind queued crawls. A worker of the
    interactive lane takes nothing else, so one is free for it while others hold long jobs."""
    interactive = interactive_queue_name(settings.queue_name)
    if settings.worker_lane == "interactive":
        return (interactive,)
    return (interactive, settings.queue_name)


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
