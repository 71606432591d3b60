"""Following and ending jobs: `get_job_status`, `list_jobs`, `cancel_job`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shield import apiclient
from shield.jobs.models import JobKind, JobState, JobStatus
from shield.mcp.api import ShieldApi
from shield.mcp.tools.common import SHIELD, Tool, checked_job_id, reads, writes
from shield.schemas import JobList


async def get_job_status(
    job_id: Annotated[str, Field(description="The job_id an ingest tool returned.")],
    shield: ShieldApi = SHIELD,
) -> JobState:
    """A job's status, stage, progress and result."""
    return await shield.send(apiclient.get_job(checked_job_id(job_id)))


async def list_jobs(
    status: Annotated[
        list[JobStatus] | None, Field(description="Only jobs in these states.")
    ] = None,
    kind: Annotated[list[JobKind] | None, Field(description="Only of these kinds.")] = None,
    collection: Annotated[
        str | None,
        Field(description="Only this collection's jobs; omitted, every collection's."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=100, description="Jobs, newest first.")] = 20,
    cursor: Annotated[
        str | None, Field(description="next_cursor of the previous answer, for more.")
    ] = None,
    shield: ShieldApi = SHIELD,
) -> JobList:
    """Jobs newest first, by state, kind and collection; next_cursor pages on."""
    return await shield.send(apiclient.list_jobs(status, kind, collection, limit, cursor))


async def cancel_job(
    job_id: Annotated[str, Field(description="The job_id to cancel.")],
    shield: ShieldApi = SHIELD,
) -> JobState:
    """Cancel a queued or running job: it stores nothing more (what it stored stays)."""
    return await shield.send(apiclient.cancel_job(checked_job_id(job_id)))


TOOLS = (
    Tool(get_job_status, "get_job_status", reads("A job's status")),
    Tool(list_jobs, "list_jobs", reads("List jobs")),
    Tool(
        cancel_job,
        "cancel_job",
        writes("Cancel a job", replaces=True, idempotent=True, open_world=False),
    ),
)
