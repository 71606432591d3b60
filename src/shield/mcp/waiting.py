"""`wait: true` on the tools that queue work: follow the job until it ends (or the wait runs out),
telling the caller how far it got with MCP progress notifications (for the progressToken it
sent), then answer the job as it stands.

A client that speaks MCP tasks gets a task instead: it follows the job in the background, and
cancelling the task cancels the job."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastmcp import Context
from fastmcp.exceptions import ToolError

from shield import apiclient
from shield.jobs.models import JobState
from shield.logging import get_logger
from shield.mcp.api import ShieldApi

log = get_logger(__name__)

POLL_SECONDS = 0.5


def counted(job: JobState) -> tuple[float, float | None]:
    """How far the job is, and out of how many: documents, or pages read for a crawl (whose
    total is not known until it ends)."""
    progress = job.progress
    if job.kind == "crawl":
        return float(progress.pages_fetched + progress.pages_failed), None
    done = progress.documents_done + progress.documents_failed
    return float(done), float(progress.documents_total) or None


def said(job: JobState) -> str:
    done, total = counted(job)
    unit = "pages" if job.kind == "crawl" else "documents"
    out_of = f"/{int(total)}" if total else ""
    return f"{job.status} ({job.stage}): {int(done)}{out_of} {unit}"


async def follow(shield: ShieldApi, job_id: str, ctx: Context, seconds: float) -> JobState:
    """The job once it has ended, or as it stands when `seconds` have passed; a
    progress notification each time it moves."""
    deadline = time.monotonic() + seconds
    last: tuple[Any, ...] | None = None
    while True:
        job = await shield.send(apiclient.get_job(job_id))
        done, total = counted(job)
        now = (job.status, job.stage, done, total)
        if now != last:
            await ctx.report_progress(done, total, said(job))
            last = now
        if job.is_final or time.monotonic() >= deadline:
            return job
        await asyncio.sleep(POLL_SECONDS)


async def follow_as_task(shield: ShieldApi, job_id: str, ctx: Context, seconds: float) -> JobState:
    """A task's run: follow the job as `follow` does. The task's cancel (MCP `tasks/cancel`)
    cancels the job; the task then ends as cancelled."""
    try:
        return await follow(shield, job_id, ctx, seconds)
    except asyncio.CancelledError:
        try:  # shielded: this task is being cancelled, the job's cancel must still go out
            await asyncio.shield(shield.send(apiclient.cancel_job(job_id)))
            log.info("task_cancelled_its_job", job=job_id)
        except ToolError as exc:  # it ended meanwhile, or shield-api is away
            log.warning("task_job_not_cancelled", job=job_id, error=str(exc))
        raise
