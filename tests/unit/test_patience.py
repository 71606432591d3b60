"""A job waits out a briefly unavailable dependency: backoff that honours Retry-After, what it
waits for on show, a cancel heard while waiting, and an end to its patience."""

from __future__ import annotations

import random
import time

import pytest
from redis import Redis

from shield.errors import DependencyUnavailable, InvalidInput, JobCancelled
from shield.jobs.models import JobState
from shield.jobs.store import JobStore
from shield.jobs.transitions import JobReporter
from shield.worker.patience import MAX_BACKOFF_SECONDS, Patience, backoff


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def reporter(redis_client: Redis) -> JobReporter:
    store = JobStore(redis_client, 3600)
    state = JobState(job_id=f"patience{time.monotonic_ns()}", kind="document", collection="docs")
    store.create(state, {"kind": "document", "text": "x"}, time.time())
    return JobReporter(store, state)


class Unavailable:
    """shield-api stopped for `outage` seconds of the fake clock, then answering."""

    def __init__(self, fake: FakeTime, outage: float, retry_after: float = 5.0) -> None:
        self.fake, self.until, self.retry_after = fake, fake.now + outage, retry_after
        self.calls: list[float] = []
        self.seen_waiting: list[object] = []

    def __call__(self, job: JobReporter) -> str:
        self.calls.append(self.fake.now)
        saved = job.store.get(job.state.job_id)
        self.seen_waiting.append(saved.waiting_for if saved else None)
        if self.fake.now < self.until:
            raise DependencyUnavailable(
                "api", "shield-api is unreachable (connection refused)", self.retry_after
            )
        return "stored"


def test_backoff_grows_with_jitter_and_never_comes_before_retry_after() -> None:
    rng = random.Random(7)
    waits = [backoff(tries, 0, rng) for tries in range(1, 12)]
    assert all(0.5 <= w <= MAX_BACKOFF_SECONDS for w in waits)
    assert waits[-1] >= MAX_BACKOFF_SECONDS / 2  # it grew to the cap
    assert all(backoff(1, 60, rng) >= 60 for _ in range(50))  # an open breaker's 60 s


def test_a_job_outlasts_a_90_second_outage(redis_client: Redis) -> None:
    fake = FakeTime()
    job = reporter(redis_client)
    api = Unavailable(fake, outage=90)
    patience = Patience(900, sleep=fake.sleep, clock=fake.clock, rng=random.Random(1))
    assert patience.call(job, api, job) == "stored"
    assert fake.now - 1000 >= 90
    assert 3 <= len(api.calls) <= 20  # backed off, not hammering
    waits = [b - a for a, b in zip(api.calls, api.calls[1:], strict=False)]
    assert all(wait >= 5 for wait in waits)  # never before the Retry-After it was given
    waiting = [w for w in api.seen_waiting if w is not None]
    assert waiting, "the job never said what it waits for"
    shown = waiting[-1]
    assert shown.service == "api"  # type: ignore[attr-defined]
    assert "connection refused" in shown.reason  # type: ignore[attr-defined]
    assert shown.tries == len(api.calls) - 1  # type: ignore[attr-defined]
    after = job.store.get(job.state.job_id)
    assert after is not None
    assert after.waiting_for is None  # gone once the dependency answered
    assert patience.waited_seconds == pytest.approx(fake.now - 1000)


def test_patience_ends_with_the_dependencys_error(redis_client: Redis) -> None:
    fake = FakeTime()
    job = reporter(redis_client)
    api = Unavailable(fake, outage=10_000)
    patience = Patience(120, sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(DependencyUnavailable, match=r"still, after waiting 120 s"):
        patience.call(job, api, job)
    assert 120 <= fake.now - 1000 <= 121


def test_a_cancel_is_heard_while_waiting(redis_client: Redis) -> None:
    fake = FakeTime()
    job = reporter(redis_client)
    api = Unavailable(fake, outage=10_000, retry_after=60)

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        if fake.now > 1010:
            job.store.request_cancel(job.state.job_id)

    patience = Patience(900, sleep=sleep, clock=fake.clock)
    with pytest.raises(JobCancelled):
        patience.call(job, api, job)
    assert fake.now - 1000 < 15  # within a second or so of the cancel, not after 60 s


def test_other_errors_are_not_waited_for(redis_client: Redis) -> None:
    fake = FakeTime()
    job = reporter(redis_client)
    calls: list[int] = []

    def refuse() -> None:
        calls.append(1)
        raise InvalidInput("not a document")

    with pytest.raises(InvalidInput):
        Patience(900, sleep=fake.sleep, clock=fake.clock).call(job, refuse)
    assert calls == [1]
    assert fake.sleeps == []
