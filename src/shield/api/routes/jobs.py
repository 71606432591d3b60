"""Job status, its event stream (SSE), listing and cancellation."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

import redis
from fastapi import APIRouter, Body, Header, Query, Request, Response
from sse_starlette import EventSourceResponse

from shield.access.scopes import Access
from shield.api import examples
from shield.api.deps import CallerDep, CollectionQuery, ServicesDep
from shield.api.graphstate import with_graph_progress
from shield.api.openapi import error_responses
from shield.api.services import STREAM_BLOCK_SECONDS
from shield.errors import Conflict, DependencyUnavailable, InvalidInput, NotFound
from shield.jobs.models import FINAL_STATUSES, JobKind, JobState, JobStatus
from shield.jobs.store import JobCursor, JobFilter, events_key, state_key
from shield.logging import get_logger
from shield.schemas import CancelJobs, JobAccepted, JobList, JobsCancelled

log = get_logger(__name__)
router = APIRouter(prefix="/jobs", tags=["jobs"])


def accepted(state: JobState, request: Request, response: Response) -> JobAccepted:
    """The 202 answer for a new job: where to poll it (also as `Location`) and follow it."""
    status_url = str(request.url_for("get_job", job_id=state.job_id).path)
    response.headers["Location"] = status_url
    return JobAccepted(
        job_id=state.job_id,
        status=state.status.value,
        status_url=status_url,
        events_url=str(request.url_for("job_events", job_id=state.job_id).path),
    )


_STREAM_ID = re.compile(r"^\d+-\d+$")


def _load(services: ServicesDep, job_id: str) -> JobState:
    state = services.call_redis(services.jobs.get, job_id)
    if state is None:
        raise NotFound(f"no job {job_id} (unknown, or expired)", job_id=job_id)
    return state


@router.get(
    "",
    summary="Jobs kept, newest first, by status, kind and collection, a page at a time",
    responses={
        **examples.answer({"jobs": [examples.JOB_STATE], "next_cursor": examples.JOB_CURSOR}),
        **error_responses(422),
    },
)
def list_jobs(
    services: ServicesDep,
    caller: CallerDep,
    status: Annotated[list[JobStatus] | None, Query(description="Repeat for several.")] = None,
    kind: Annotated[list[JobKind] | None, Query(description="Repeat for several.")] = None,
    collection: CollectionQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="`next_cursor` of the page before.")
    ] = None,
) -> JobList:
    """Only jobs of collections the caller may read."""
    if collection is not None:
        caller.require(Access.READ, collection)
    try:
        after = JobCursor.decode(cursor) if cursor is not None else None
    except ValueError as exc:
        raise InvalidInput(f"cursor: {exc}") from None
    where = JobFilter(frozenset(status or ()), frozenset(kind or ()), collection, caller.readable())
    page = services.call_redis(services.jobs.page, where, limit, after)
    cursor_out = page.next_cursor.encode() if page.next_cursor is not None else None
    return JobList(jobs=page.jobs, next_cursor=cursor_out)


@router.post(
    "/cancel",
    summary="Cancel every unfinished job that matches the filters",
    responses={**examples.answer({"cancelled": [examples.JOB_ID]}), **error_responses(400)},
)
def cancel_jobs(
    body: Annotated[CancelJobs, Body(openapi_examples=examples.CANCEL_JOBS)],
    services: ServicesDep,
    caller: CallerDep,
) -> JobsCancelled:
    """Only jobs of collections the caller may write."""
    if body.collection is not None:
        caller.require(Access.WRITE, body.collection)
    where = JobFilter(
        frozenset(JobStatus(s) for s in body.status),
        frozenset(body.kind or ()),
        body.collection,
        caller.writable(),
    )
    cancelled = []
    for state in services.call_redis(services.jobs.unfinished, where):
        try:
            services.call_redis(services.queue.cancel, state)
        except Conflict:
            continue  # it finished meanwhile
        cancelled.append(state.job_id)
    log.info("jobs_cancelled", count=len(cancelled), collection=body.collection)
    return JobsCancelled(cancelled=cancelled)


@router.get(
    "/{job_id}",
    name="get_job",
    summary="A job's status, stage, progress and result",
    responses={**examples.answer(examples.JOB_STATE), **error_responses(404)},
)
def get_job(job_id: str, services: ServicesDep, caller: CallerDep) -> JobState:
    state = _load(services, job_id)
    caller.require(Access.READ, state.collection)
    if state.status == JobStatus.QUEUED:
        state.queue_position = services.call_redis(services.queue.position, job_id)
    return with_graph_progress(services, state)


@router.delete(
    "/{job_id}",
    summary="Cancel a job; a running job stops storing at once",
    responses={**examples.answer(examples.CANCELLED_STATE), **error_responses(404, 409)},
)
def cancel_job(job_id: str, services: ServicesDep, caller: CallerDep) -> JobState:
    state = _load(services, job_id)
    caller.require(Access.WRITE, state.collection)
    return services.call_redis(services.queue.cancel, state)


@router.get(
    "/{job_id}/events",
    name="job_events",
    summary="Server-Sent Events of the job's state changes, ending at a final state",
    response_class=EventSourceResponse,
    responses=error_responses(404),
)
async def job_events(
    job_id: str,
    services: ServicesDep,
    caller: CallerDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    try:
        raw = await services.redis_breaker.call_async(services.aredis.get, state_key(job_id))
    except redis.RedisError as exc:
        raise DependencyUnavailable("redis", f"Redis is unavailable: {exc}") from exc
    if raw is None:
        raise NotFound(f"no job {job_id} (unknown, or expired)", job_id=job_id)
    caller.require(Access.READ, JobState.model_validate_json(raw).collection)
    start = last_event_id if last_event_id and _STREAM_ID.match(last_event_id) else "0"
    return EventSourceResponse(_stream(services, job_id, start), ping=15)


async def _stream(
    services: ServicesDep, job_id: str, last_id: str
) -> AsyncIterator[dict[str, Any]]:
    key = events_key(job_id)
    while True:
        response: Any = await services.aredis.xread(
            {key: last_id}, block=STREAM_BLOCK_SECONDS * 1000, count=100
        )
        if not response:
            if not await services.aredis.exists(state_key(job_id)):
                return  # expired while we waited
            continue
        for entry_id, fields in response[0][1]:
            last_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            raw = fields[b"state"] if b"state" in fields else fields["state"]
            data = raw.decode() if isinstance(raw, bytes) else raw
            yield {"id": last_id, "event": "state", "data": data}
            if json.loads(data)["status"] in FINAL_STATUSES:
                return
