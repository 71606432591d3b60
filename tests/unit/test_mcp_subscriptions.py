"""The followers behind job subscriptions: one per job however many listen, told each change,
stopped by the job's end or by the last listener leaving."""

from __future__ import annotations

import asyncio
from typing import Any

from fastmcp.server.auth import AccessToken
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.subscriptions import InMemorySubscriptionBus, ServerEvent

from shield.access.scopes import Kind
from shield.jobs.models import JobState, JobStatus
from shield.mcp import subscriptions
from shield.mcp.access import KIND_CLAIM, upstream_headers
from shield.mcp.subscriptions import JobFollowers


class Jobs:
    """Answers GET /jobs/{id} as shield-api would, one page further at each call, ending after
    `pages` pages."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.calls = 0
        self.asked_as: list[dict[str, str]] = []

    async def call(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        assert (method, path) == ("GET", "/jobs/abc")
        self.calls += 1
        self.asked_as.append(upstream_headers())  # what ShieldApi.call would send
        job = JobState(job_id="abc", kind="crawl", collection="docs", status=JobStatus.RUNNING)
        job.progress.pages_fetched = min(self.calls, self.pages)
        if self.calls >= self.pages:
            job.status = JobStatus.SUCCEEDED
        return job.model_dump(mode="json")


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
