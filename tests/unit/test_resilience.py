"""Circuit breakers: open after repeated dependency failures, fail fast with retry_after, ignore
callers' mistakes, recover, and export their state; retries are bounded and selective."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import REGISTRY

from shield.errors import DependencyUnavailable, InvalidInput
from shield.resilience import Breaker, retry_idempotent


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
