"""Circuit breakers: open after repeated dependency failures, fail fast with retry_after, ignore
callers' mistakes, recover, and export their state; retries are bounded and selective."""

from __future__ import annotations

import asyncio
import errno
import time

import httpx
import pytest
import redis
from prometheus_client import REGISTRY

from shield.errors import (
    DependencyRefused,
    DependencyUnavailable,
    InvalidInput,
    NotFound,
    ShieldError,
    cause_of,
)
from shield.net.fetch import FetchFailed
from shield.resilience import Breaker, is_dependency_failure, retry_idempotent


def state_metric(service: str, name: str) -> float | None:
    return REGISTRY.get_sample_value(
        "shield_circuit_breaker_state", {"service": service, "breaker": name}
    )


def boom() -> None:
    raise ConnectionError("down")


def test_opens_after_threshold_and_fails_fast() -> None:
    breaker = Breaker("unit", "flaky", failure_threshold=3, recovery_timeout=30)
    for _ in range(3):
        with pytest.raises(ConnectionError):
            breaker.call(boom)
    assert state_metric("unit", "flaky") == 1
    calls = []
    with pytest.raises(DependencyUnavailable) as excinfo:
        breaker.call(calls.append, 1)
    assert calls == []  # fails fast: the dependency is not even tried
    assert excinfo.value.retry_after >= 29
    assert excinfo.value.circuit_open
    assert "circuit open" in excinfo.value.message


def test_callers_mistakes_do_not_open_it() -> None:
    breaker = Breaker("unit", "strict", failure_threshold=2)

    def refuse() -> None:
        raise InvalidInput("bad query")

    for _ in range(5):
        with pytest.raises(InvalidInput):
            breaker.call(refuse)
    assert breaker.state == "closed"


def test_half_open_then_closed_after_a_success() -> None:
    breaker = Breaker("unit", "recovering", failure_threshold=1, recovery_timeout=1)
    with pytest.raises(ConnectionError):
        breaker.call(boom)
    assert breaker.state == "open"
    time.sleep(1.1)
    assert breaker.state == "half_open"
    assert state_metric("unit", "recovering") == 2
    assert breaker.call(lambda: 42) == 42
    assert breaker.state == "closed"
    assert state_metric("unit", "recovering") == 0


def test_async_calls_count_too() -> None:
    breaker = Breaker("unit", "async", failure_threshold=1)

    async def down() -> None:
        raise TimeoutError

    with pytest.raises(TimeoutError):
        asyncio.run(breaker.call_async(down))
    with pytest.raises(DependencyUnavailable):
        asyncio.run(breaker.call_async(down))


def test_retries_transient_failures_only() -> None:
    attempts: list[str] = []

    @retry_idempotent(attempts=3, max_wait=0.01)
    def flaky(kind: str) -> str:
        attempts.append(kind)
        if kind == "transient" and len(attempts) < 3:
            raise ConnectionError("blip")
        if kind == "mistake":
            raise InvalidInput("no")
        return "ok"

    assert flaky("transient") == "ok"
    assert len(attempts) == 3
    attempts.clear()
    with pytest.raises(InvalidInput):
        flaky("mistake")
    assert len(attempts) == 1


def _qdrant_answer(status: int) -> BaseException:
    from qdrant_client.http.exceptions import UnexpectedResponse

    return UnexpectedResponse(status, "reason", b"{}", httpx.Headers())


@pytest.mark.parametrize(
    ("failure", "counts"),
    [
        # The dependency did not answer, or said it is unavailable: counted.
        (DependencyUnavailable("api", "shield-api answered 503"), True),
        (httpx.ConnectError("refused"), True),
        (httpx.ReadTimeout("slow"), True),
        (TimeoutError(), True),
        (ConnectionResetError(), True),
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (redis.ConnectionError("gone"), True),
        (redis.TimeoutError("slow"), True),
        (_qdrant_answer(500), True),
        (_qdrant_answer(429), True),
        # The caller's mistake, an answer, or Shield's own bug: never counted.
        (InvalidInput("bad filter"), False),
        (NotFound("no such collection"), False),
        (DependencyRefused("embedder", "input too long"), False),
        (ValueError("invalid JSON path metadata.$x"), False),
        (KeyError("document_id"), False),
        (TypeError("unhashable type"), False),
        (FileNotFoundError(errno.ENOENT, "no file"), False),
        (redis.ResponseError("WRONGTYPE"), False),
        (_qdrant_answer(400), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_one_rule_says_what_counts_against_a_breaker(failure: BaseException, counts: bool) -> None:
    assert is_dependency_failure(failure) is counts


def test_a_hundred_malformed_requests_leave_the_breaker_closed_for_everyone() -> None:
    breaker = Breaker("unit", "store", failure_threshold=5)

    def engine_refuses() -> None:
        raise ValueError("invalid JSON path metadata.$x")  # what the embedded store raised

    for _ in range(100):
        with pytest.raises(ValueError, match="JSON path"):
            breaker.call(engine_refuses)
    assert breaker.state == "closed"
    assert breaker.call(lambda: "another caller's search") == "another caller's search"


def test_retries_neither_bugs_nor_refusals() -> None:
    attempts: list[int] = []

    @retry_idempotent(attempts=3, max_wait=0.01)
    def buggy() -> None:
        attempts.append(1)
        raise KeyError("results")

    with pytest.raises(KeyError):
        buggy()
    assert attempts == [1]


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (InvalidInput("not a PDF"), "input"),
        (NotFound("no such document"), "input"),
        (FetchFailed("https://docs.example.org/ answered 500"), "input"),  # the caller's site
        (DependencyUnavailable("api", "shield-api is unreachable"), "dependency"),
        (DependencyRefused("embedder", "the embedding server answered 400"), "dependency"),
        (ShieldError("a bug"), "internal"),
        (KeyError("results"), "internal"),
    ],
)
def test_every_failure_has_one_cause(exc: BaseException, cause: str) -> None:
    assert cause_of(exc) == cause
