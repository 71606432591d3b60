"""Subscriptions to the job resource: a client that listens to `shield://jobs/{job_id}` (MCP's
`subscriptions/listen`, protocol 2026-07-28) is told each time the job changes, and reads the
resource again to see how.

The stream itself is the official SDK's (`ListenHandler`, fed by an in-process bus); FastMCP
does not serve the method, so it is added to its low-level server. What Shield adds: a listener
may subscribe only to jobs it may read (checked with its own token when it listens), and while
anyone listens to a job, one follower per job asks shield-api for it and publishes
`ResourceUpdated` when it has moved, until it ends. The follower asks as shield-mcp itself, not as
any one listener: it outlives the listener that started it, whose token may expire or be revoked
meanwhile. It tells nothing but "this job changed"; what changed, each listener reads with its
own token.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
from collections.abc import Callable
from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from mcp.server.context import ServerRequestContext
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, SubscriptionsListenRequestParams, SubscriptionsListenResult

from shield.jobs.models import JobState
from shield.logging import get_logger
from shield.mcp.api import ShieldApi

log = get_logger(__name__)
JOB_URI = re.compile(r"shield://jobs/(?P<job_id>[A-Za-z0-9]+)")
POLL_SECONDS = 0.5
MAX_JOBS_PER_LISTEN = 100


class JobFollowers:
    """One follower per job that someone listens to; it stops when the job has ended (after
    telling so) or when the last listener has gone."""

    def __init__(self, shield: ShieldApi, bus: InMemorySubscriptionBus) -> None:
        self._shield = shield
        self._bus = bus
        self._followers: dict[str, tuple[asyncio.Task[None], int]] = {}

    def watch(self, job_id: str) -> Callable[[], None]:
        """Follow the job; the answer releases this listener's interest."""
        task, listeners = self._followers.get(job_id, (None, 0))
        if task is None or task.done():
            # An empty context: no caller's token, so shield-mcp's own (module docstring).
            follow = self._follow(job_id)
            task, listeners = asyncio.create_task(follow, context=contextvars.Context()), 0
        self._followers[job_id] = (task, listeners + 1)
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            current, count = self._followers.get(job_id, (None, 0))
            if current is not task:
                return
            if count <= 1:
                del self._followers[job_id]
                task.cancel()
            else:
                self._followers[job_id] = (task, count - 1)

        return release

    async def _follow(self, job_id: str) -> None:
        uri = f"shield://jobs/{job_id}"
        seen: str | None = None
        while True:
            try:
                job = JobState.model_validate(await self._shield.call("GET", f"/jobs/{job_id}"))
            except ToolError as exc:  # shield-api away, or the job expired: try again later
                log.warning("job_follow_failed", job_id=job_id, error=str(exc))
                await asyncio.sleep(POLL_SECONDS * 4)
                continue
            now = job.model_dump_json(include={"status", "stage", "progress", "updated_at"})
            if seen is not None and now != seen:
                await self._bus.publish(ResourceUpdated(uri=uri))
            seen = now
            if job.is_final:
                return
            await asyncio.sleep(POLL_SECONDS)


class JobListen(ListenHandler):
    """`subscriptions/listen`, with the jobs among the resource subscriptions checked against
    the caller's access and followed while the stream is open."""

    def __init__(self, shield: ShieldApi) -> None:
        bus = InMemorySubscriptionBus()
        super().__init__(bus)
        self._shield = shield
        self._followers = JobFollowers(shield, bus)

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], params: SubscriptionsListenRequestParams
    ) -> SubscriptionsListenResult:
        uris = params.notifications.resource_subscriptions or []
        job_ids = [m["job_id"] for uri in uris if (m := JOB_URI.fullmatch(uri))]
        if len(job_ids) > MAX_JOBS_PER_LISTEN:
            raise MCPError(INVALID_PARAMS, f"at most {MAX_JOBS_PER_LISTEN} jobs per listen")
        for job_id in job_ids:  # only jobs this caller may read
            try:
                await self._shield.call("GET", f"/jobs/{job_id}")
            except ToolError as exc:
                raise MCPError(INVALID_PARAMS, f"shield://jobs/{job_id}: {exc}") from None
        releases = [self._followers.watch(job_id) for job_id in job_ids]
        try:
            return await super().__call__(ctx, params)
        finally:
            for release in releases:
                release()


def add_subscriptions(mcp: FastMCP, shield: ShieldApi) -> None:
    # FastMCP 4.1 does not serve subscriptions/listen; its low-level server (the SDK's) does
    # once given the handler, and then advertises resources.subscribe on 2026-07-28.
    mcp._mcp_server.add_request_handler(
        "subscriptions/listen", SubscriptionsListenRequestParams, JobListen(shield)
    )
