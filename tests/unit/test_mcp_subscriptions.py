"""The followers behind job subscriptions: one per job however many listen, told each change,
stopped by the job's end or by the last listener leaving."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import pytest
from fastmcp.server.auth import AccessToken
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.connection import Connection
from mcp.server.subscriptions import InMemorySubscriptionBus, ServerEvent
from mcp.shared.exceptions import MCPError
from mcp_types import SubscribeRequestParams, UnsubscribeRequestParams

from shield.access.scopes import Kind
from shield.apiclient import Call
from shield.jobs.models import JobState, JobStatus
from shield.mcp import subscriptions
from shield.mcp.access import KIND_CLAIM, upstream_headers
from shield.mcp.api import ApiRefused
from shield.mcp.subscriptions import JobFollowers, JobSubscriptions


class Jobs:
    """Answers GET /jobs/{id} as shield-api would, one page further at each call, ending after
    `pages` pages."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.calls = 0
        self.asked_as: list[dict[str, str]] = []

    async def send(self, call: Call[Any], **_: Any) -> JobState:
        assert (call.method, call.path) == ("GET", "/jobs/abc")
        self.calls += 1
        self.asked_as.append(upstream_headers())  # what ShieldApi.send would send
        job = JobState(job_id="abc", kind="crawl", collection="docs", status=JobStatus.RUNNING)
        job.progress.pages_fetched = min(self.calls, self.pages)
        if self.calls >= self.pages:
            job.status = JobStatus.SUCCEEDED
        return job


def run(jobs: Jobs, body: Any) -> list[ServerEvent]:
    heard: list[ServerEvent] = []
    bus = InMemorySubscriptionBus()
    bus.subscribe(heard.append)
    asyncio.run(body(JobFollowers(jobs, bus)))  # type: ignore[arg-type]
    return heard


def test_a_job_is_followed_once_and_each_change_told_until_it_ends(monkeypatch: Any) -> None:
    monkeypatch.setattr(subscriptions, "POLL_SECONDS", 0.01)

    async def body(followers: JobFollowers) -> None:
        followers.watch("abc")
        followers.watch("abc")  # a second listener: still one follower
        await asyncio.sleep(0.5)

    jobs = Jobs(pages=4)
    heard = run(jobs, body)
    assert jobs.calls == 4  # one follower, stopped by the end
    assert [str(event.uri) for event in heard] == ["shield://jobs/abc"] * 3  # pages 2, 3, 4


def test_the_follower_stops_when_the_last_listener_leaves(monkeypatch: Any) -> None:
    monkeypatch.setattr(subscriptions, "POLL_SECONDS", 0.01)
    jobs = Jobs(pages=1_000_000)

    async def body(followers: JobFollowers) -> None:
        first, second = followers.watch("abc"), followers.watch("abc")
        await asyncio.sleep(0.05)
        first()
        first()  # twice is once
        before = jobs.calls
        await asyncio.sleep(0.05)
        assert jobs.calls > before  # the other listener still hears
        second()
        await asyncio.sleep(0.02)
        stopped = jobs.calls
        await asyncio.sleep(0.05)
        assert jobs.calls == stopped  # nothing asked after the last listener left

    run(jobs, body)


class Expiring(Jobs):
    """A job whose record expires (404) after two answers."""

    async def send(self, call: Call[Any], **kwargs: Any) -> JobState:
        if self.calls >= 2:
            self.calls += 1
            raise ApiRefused("no job abc (it may have expired)", 404)
        return await super().send(call, **kwargs)


def test_a_job_whose_record_expires_is_told_once_more_and_no_longer_followed(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(subscriptions, "POLL_SECONDS", 0.01)
    jobs = Expiring(pages=1_000_000)

    async def body(followers: JobFollowers) -> None:
        followers.watch("abc")
        await asyncio.sleep(0.3)

    heard = run(jobs, body)
    assert jobs.calls == 3  # two answers, the 404, and nothing asked after it
    assert [str(event.uri) for event in heard] == ["shield://jobs/abc"] * 2  # a change, the end


def test_the_follower_asks_as_shield_mcp_not_as_the_listener_who_started_it(
    monkeypatch: Any,
) -> None:
    """The first listener may leave, or its token be revoked, while others still listen."""
    monkeypatch.setattr(subscriptions, "POLL_SECONDS", 0.01)
    listener = AccessToken(
        token="shd_first_listener",
        client_id="alice",
        scopes=["shield:read"],
        claims={KIND_CLAIM: Kind.TOKEN},
    )

    async def body(followers: JobFollowers) -> None:
        auth_context_var.set(AuthenticatedUser(listener))
        assert upstream_headers() == {"Authorization": "Bearer shd_first_listener"}
        followers.watch("abc")
        await asyncio.sleep(0.2)

    jobs = Jobs(pages=3)
    run(jobs, body)
    assert jobs.asked_as == [{}] * 3  # shield-mcp's own token, SHIELD_API_TOKEN


class Session:
    """What a handler's context holds of the SDK's per-request session: the connection, and
    the notifications sent on its standalone stream."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.told: list[str] = []

    async def send_resource_updated(self, uri: str) -> None:
        self.told.append(uri)


def legacy_context(session: Session) -> Any:
    return SimpleNamespace(session=session)


def test_a_connection_subscribed_to_a_job_is_told_until_it_unsubscribes_or_closes(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(subscriptions, "POLL_SECONDS", 0.01)
    jobs = Jobs(pages=1_000_000)
    uri = SubscribeRequestParams(uri="shield://jobs/abc")

    async def body() -> tuple[Session, Session]:
        bus = InMemorySubscriptionBus()
        published: list[ServerEvent] = []
        bus.subscribe(published.append)
        legacy = JobSubscriptions(jobs, bus, JobFollowers(jobs, bus))  # type: ignore[arg-type]
        first = Session(Connection(AsyncMock(), protocol_version="2025-11-25"))
        second = Session(Connection(AsyncMock(), protocol_version="2025-11-25"))
        await legacy.subscribe(legacy_context(first), uri)
        await legacy.subscribe(legacy_context(first), uri)  # twice is once
        await legacy.subscribe(legacy_context(second), uri)
        await asyncio.sleep(0.1)
        await legacy.unsubscribe(legacy_context(first), UnsubscribeRequestParams(uri=uri.uri))
        told_before = len(first.told)
        # once per change, however often it subscribed (the last change's may be on its way)
        assert len(published) - 1 <= told_before <= len(published)
        assert told_before >= 2
        await asyncio.sleep(0.1)
        assert len(first.told) == told_before  # unsubscribed: told no more
        assert len(second.told) > told_before  # the other connection still is
        await second._connection.exit_stack.aclose()  # the connection closes
        calls = jobs.calls
        await asyncio.sleep(0.1)
        assert jobs.calls <= calls + 1  # nobody subscribed: the follower stopped
        with pytest.raises(MCPError, match="only jobs"):
            await legacy.subscribe(
                legacy_context(first), SubscribeRequestParams(uri="shield://collections")
            )
        return first, second

    first, second = asyncio.run(body())
    assert set(first.told) == set(second.told) == {"shield://jobs/abc"}
