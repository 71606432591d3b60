"""Subscriptions to the job resource: a client that subscribes to `shield://jobs/{job_id}` is
told each time the job changes, and reads the resource again to see how. Both of MCP's ways:
`subscriptions/listen` (protocol 2026-07-28), and `resources/subscribe` with
`notifications/resources/updated` on the connection's own stream (the protocol versions before).

The listen stream itself is the official SDK's (`ListenHandler`, fed by an in-process bus);
FastMCP serves neither method, so both are added to its low-level server. What Shield adds: a
client may subscribe only to jobs it may read (checked with its own token when it subscribes),
and while anyone listens to a job, one follower per job asks shield-api for it and publishes
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
from http import HTTPStatus
from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from mcp.server.connection import Connection
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    ListenHandler,
    ResourceUpdated,
    ServerEvent,
)
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    EmptyResult,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
    UnsubscribeRequestParams,
)

from shield import apiclient
from shield.logging import get_logger
from shield.mcp.api import ApiRefused, ShieldApi

log = get_logger(__name__)
JOB_URI = re.compile(r"shield://jobs/(?P<job_id>[A-Za-z0-9]+)")
POLL_SECONDS = 0.5
MAX_JOBS = 100  # a client follows at most this many: per listen, or per connection
SUBSCRIBED = "shield.subscribed_jobs"  # a connection's state: its job URIs and their releases


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
                job = await self._shield.send(apiclient.get_job(job_id))
            except ToolError as exc:
                if isinstance(exc, ApiRefused) and exc.status == HTTPStatus.NOT_FOUND:
                    await self._bus.publish(ResourceUpdated(uri=uri))  # its record expired
                    return
                log.warning("job_follow_failed", job_id=job_id, error=str(exc))  # try again later
                await asyncio.sleep(POLL_SECONDS * 4)
                continue
            now = job.model_dump_json(include={"status", "stage", "progress", "updated_at"})
            if seen is not None and now != seen:
                await self._bus.publish(ResourceUpdated(uri=uri))
            seen = now
            if job.is_final:
                return
            await asyncio.sleep(POLL_SECONDS)


async def readable_job(shield: ShieldApi, uri: str) -> str:
    """The job's id, once the caller has been found allowed to read it; a clear error else."""
    match = JOB_URI.fullmatch(uri)
    if match is None:
        raise MCPError(
            INVALID_PARAMS, f"{uri}: only jobs (shield://jobs/{{job_id}}) can be subscribed to"
        )
    try:
        await shield.send(apiclient.get_job(match["job_id"]))
    except ToolError as exc:
        raise MCPError(INVALID_PARAMS, f"{uri}: {exc}") from None
    return match["job_id"]


class JobListen(ListenHandler):
    """`subscriptions/listen`, with the jobs among the resource subscriptions checked against
    the caller's access and followed while the stream is open."""

    def __init__(
        self, shield: ShieldApi, bus: InMemorySubscriptionBus, followers: JobFollowers
    ) -> None:
        super().__init__(bus)
        self._shield = shield
        self._followers = followers

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], params: SubscriptionsListenRequestParams
    ) -> SubscriptionsListenResult:
        uris = [
            uri
            for uri in params.notifications.resource_subscriptions or []
            if JOB_URI.fullmatch(uri)
        ]
        if len(uris) > MAX_JOBS:
            raise MCPError(INVALID_PARAMS, f"at most {MAX_JOBS} jobs per listen")
        job_ids = [await readable_job(self._shield, uri) for uri in uris]
        releases = [self._followers.watch(job_id) for job_id in job_ids]
        try:
            return await super().__call__(ctx, params)
        finally:
            for release in releases:
                release()


class JobSubscriptions:
    """`resources/subscribe` and `resources/unsubscribe`, for clients on the protocol versions
    before 2026-07-28: each change of a job a connection subscribed to is sent to it as
    `notifications/resources/updated` on its standalone stream, until it unsubscribes or the
    connection closes."""

    def __init__(
        self, shield: ShieldApi, bus: InMemorySubscriptionBus, followers: JobFollowers
    ) -> None:
        self._shield = shield
        self._followers = followers
        self._subscribers: dict[str, dict[Connection, ServerSession]] = {}
        self._sending: set[asyncio.Task[None]] = set()
        bus.subscribe(self._heard)

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams
    ) -> EmptyResult:
        uri = str(params.uri)
        job_id = await readable_job(self._shield, uri)
        connection = ctx.session._connection  # the SDK's per-connection state and teardown
        held: dict[str, Callable[[], None]] = connection.state.setdefault(SUBSCRIBED, {})
        if uri in held:
            return EmptyResult()
        if len(held) >= MAX_JOBS:
            raise MCPError(INVALID_PARAMS, f"at most {MAX_JOBS} job subscriptions per connection")
        if not held:
            connection.exit_stack.callback(self._forget, connection)
        held[uri] = self._followers.watch(job_id)
        self._subscribers.setdefault(uri, {})[connection] = ctx.session
        return EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams
    ) -> EmptyResult:
        self._drop(ctx.session._connection, str(params.uri))
        return EmptyResult()

    def _drop(self, connection: Connection, uri: str) -> None:
        release = connection.state.get(SUBSCRIBED, {}).pop(uri, None)
        if release is not None:
            release()
        subscribers = self._subscribers.get(uri, {})
        subscribers.pop(connection, None)
        if not subscribers:
            self._subscribers.pop(uri, None)

    def _forget(self, connection: Connection) -> None:
        for uri in list(connection.state.get(SUBSCRIBED, {})):
            self._drop(connection, uri)

    def _heard(self, event: ServerEvent) -> None:
        if not isinstance(event, ResourceUpdated):
            return
        for session in self._subscribers.get(str(event.uri), {}).values():
            task = asyncio.create_task(self._tell(session, str(event.uri)))
            self._sending.add(task)  # held until sent, as asyncio asks
            task.add_done_callback(self._sending.discard)

    @staticmethod
    async def _tell(session: ServerSession, uri: str) -> None:
        try:
            await session.send_resource_updated(uri)
        except Exception as exc:  # noqa: BLE001 - a connection going away; its teardown forgets it
            log.info("subscriber_not_told", uri=uri, error=str(exc))


def add_subscriptions(mcp: FastMCP, shield: ShieldApi) -> None:
    # FastMCP 4.1 serves neither; its low-level server (the SDK's) does once given the handlers,
    # and then advertises resources.subscribe, on each protocol version by its own method.
    bus = InMemorySubscriptionBus()
    followers = JobFollowers(shield, bus)
    legacy = JobSubscriptions(shield, bus, followers)
    server = mcp._mcp_server
    server.add_request_handler(
        "subscriptions/listen", SubscriptionsListenRequestParams, JobListen(shield, bus, followers)
    )
    server.add_request_handler("resources/subscribe", SubscribeRequestParams, legacy.subscribe)
    server.add_request_handler(
        "resources/unsubscribe", UnsubscribeRequestParams, legacy.unsubscribe
    )
