"""Reindex jobs: shield-api gives a collection built before the lexical index one, in a thread
of its own (the vector store is shield-api's alone), reporting through a job like every other:
`GET /jobs/{id}`, its events, cancel. A heartbeat in Redis tells the reaper it still runs."""

from __future__ import annotations

import threading
import time
import uuid

from shield.api.services import Services
from shield.errors import Conflict, ShieldError, cause_of
from shield.jobs.models import JobError, JobState, JobStatus
from shield.jobs.outcomes import record_outcome
from shield.jobs.transitions import begin_attempt, finish
from shield.logging import get_logger

log = get_logger(__name__)
HEARTBEAT_SECONDS = 30
#: Progress is saved (one job event) at most this often.
REPORT_SECONDS = 0.5


class _Cancelled(Exception):
    pass


def submit_reindex(services: Services, collection: str) -> JobState:
    """Start reindexing `collection`; 409 while another reindex of it runs."""
    services.index.has_lexical_index(collection)  # 404 for a collection that does not exist
    with services.reindexing_guard:
        running = services.reindexing.get(collection)
        if running is not None:
            raise Conflict(
                f"collection {collection!r} is being reindexed by job {running}",
                job_id=running,
            )
        state = JobState(
            job_id=uuid.uuid4().hex,
            kind="reindex",
            collection=collection,
            request={"kind": "reindex", "collection": collection},
        )
        store = services.jobs
        services.call_redis(store.create, state, state.request, time.time())
        store.heartbeat(state.job_id, HEARTBEAT_SECONDS)
        services.reindexing[collection] = state.job_id
    record_outcome(state, "queued")
    threading.Thread(
        target=_run, args=(services, state), name=f"reindex-{collection}", daemon=True
    ).start()
    return state


def _run(services: Services, state: JobState) -> None:
    store, collection = services.jobs, state.collection
    stopped = threading.Event()

    def beat() -> None:
        while not stopped.wait(HEARTBEAT_SECONDS / 3):
            store.heartbeat(state.job_id, HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name=f"reindex-heartbeat-{collection}", daemon=True).start()
    last_report = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_report
        if store.cancel_requested(state.job_id):
            raise _Cancelled
        now = time.monotonic()
        if now - last_report >= REPORT_SECONDS or done == total:
            state.progress.points_done, state.progress.points_total = done, total
            store.save(state)
            last_report = now

    try:
        begin_attempt(state)
        state.stage = "reindexing"
        store.save(state)
        services.index.add_lexical_index(collection, progress)
    except _Cancelled:
        finish(store, state, JobStatus.CANCELLED, JobError(code="cancelled", message="cancelled"))
    except Exception as exc:  # noqa: BLE001 - whatever went wrong ends the job with the reason
        code = exc.code if isinstance(exc, ShieldError) else "reindex_failed"
        log.warning("reindex_failed", collection=collection, error=str(exc))
        message = f"reindexing {collection!r} failed, the collection is as it was: {exc}"
        finish(
            store,
            state,
            JobStatus.FAILED,
            JobError(code=code, message=message, cause=cause_of(exc)),
        )
    else:
        state.result.chunks = state.progress.points_total
        finish(store, state, JobStatus.SUCCEEDED, None)
        log.info("reindexed", collection=collection, points=state.progress.points_total)
    finally:
        stopped.set()
        with services.reindexing_guard:
            services.reindexing.pop(collection, None)
