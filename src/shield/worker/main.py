"""The worker process: an RQ worker that runs jobs in-process and keeps them alive in Redis.

Jobs run in the worker's own process (RQ's SimpleWorker), so the embedding model and, later,
Docling are loaded once per worker rather than once per job. While a job runs, a thread renews
its heartbeat every few seconds; if the worker dies, the heartbeat stops, RQ's started-job
registry expires the job within `SHIELD_JOB_HEARTBEAT_SECONDS`, and the registry cleanup (run by
shield-api's reaper and by workers) retries it or marks it failed with the reason.
"""

from __future__ import annotations

import threading
from typing import Any

from rq import Queue, SimpleWorker
from rq.job import Job

from shield.config import WorkerSettings
from shield.jobs.outcomes import initialise_job_metrics
from shield.logging import get_logger
from shield.worker.metrics_server import serve_metrics
from shield.worker.tasks import WorkerContext, configure

log = get_logger(__name__)


class ShieldWorker(SimpleWorker):
    heartbeat_seconds = 30

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
        token = settings.api_token.get_secret_value() if settings.api_token else None
        serve_metrics(metrics_host, metrics_port, token)
    ShieldWorker.heartbeat_seconds = settings.job_heartbeat_seconds
    queue = Queue(settings.queue_name, connection=context.redis)
    worker = ShieldWorker([queue], connection=context.redis, maintenance_interval=60, **kw)
    log.info("worker_started", queue=settings.queue_name, name=worker.name)
    try:
        return bool(worker.work(burst=burst, logging_level=settings.log_level))
    finally:
        context.close()  # stops the converter process with the worker
