"""Circuit breakers and bounded retries around every outbound call.

`Breaker` wraps `circuitbreaker.CircuitBreaker` so that an open circuit fails at once with a
`DependencyUnavailable` carrying `retry_after`, only real dependency failures count (a caller's
mistake never opens a circuit), and every breaker's state is exported, read at scrape time, as
`shield_circuit_breaker_state{service,breaker}` (0 closed, 1 open, 2 half-open).
"""

from __future__ import annotations

import errno
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import ParamSpec, TypeVar

import httpx
from circuitbreaker import STATE_CLOSED, STATE_HALF_OPEN, STATE_OPEN, CircuitBreaker
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from shield.errors import DependencyUnavailable, ShieldError
from shield.logging import get_logger
from shield.metrics import BREAKER_OPENED

log = get_logger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_FAILURE_THRESHOLD = 5
DEFAULT_RECOVERY_TIMEOUT = 60.0
# What breakers get when not told otherwise: SHIELD_BREAKER_FAILURES and
# SHIELD_BREAKER_RECOVERY_SECONDS, set once by each service as it starts.
_defaults = {"failures": float(DEFAULT_FAILURE_THRESHOLD), "recovery": DEFAULT_RECOVERY_TIMEOUT}


def configure_breakers(failures: int, recovery_seconds: float) -> None:
    _defaults.update(failures=float(failures), recovery=recovery_seconds)


STATE_VALUES = {STATE_CLOSED: 0, STATE_OPEN: 1, STATE_HALF_OPEN: 2}


#: Storage failing under a store (the disk, not the request): counted against its breaker.
_STORAGE_ERRNOS = frozenset({errno.EIO, errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.ENOMEM})


def _redis_unavailable(exc: BaseException) -> bool:
    # Only Redis not answering; a ResponseError (a wrong command or key type) is a bug of ours.
    module = sys.modules.get("redis.exceptions")
    return module is not None and isinstance(exc, module.ConnectionError | module.TimeoutError)


def _qdrant_unavailable(exc: BaseException) -> bool:
    # qdrant-client wraps transport failures in ResponseHandlingException; UnexpectedResponse is
    # the server's own answer, a failure only when it is a 5xx or a 429.
    module = sys.modules.get("qdrant_client.http.exceptions")
    if module is None:
        return False
    if isinstance(exc, module.ResponseHandlingException):
        return True
    if isinstance(exc, module.UnexpectedResponse):
        return is_unavailable_status(int(exc.status_code or 0))
    return False


def _grpc_unavailable(exc: BaseException) -> bool:
    module = sys.modules.get("grpc")
    if module is None or not isinstance(exc, module.RpcError):
        return False
    code = exc.code() if callable(getattr(exc, "code", None)) else None
    return code in (
        module.StatusCode.UNAVAILABLE,
        module.StatusCode.DEADLINE_EXCEEDED,
        module.StatusCode.RESOURCE_EXHAUSTED,
    )


_LIBRARY_CHECKS: tuple[Callable[[BaseException], bool], ...] = (
    _redis_unavailable,
    _qdrant_unavailable,
    _grpc_unavailable,
)


def is_unavailable_status(status: int) -> bool:
    """An HTTP answer that says the service is unavailable (its own 5xx, or 429 for load)."""
    return status >= 500 or status == 429


def is_dependency_failure(exc: BaseException) -> bool:
    """The one rule for what counts against a circuit breaker: the dependency did not answer
    (connection refused or reset, a timeout), answered that it is unavailable (its own 5xx or
    429, which the service clients raise as `DependencyUnavailable`), or its storage failed.

    Never a caller's mistake (validation, parsing, a 4xx), never Shield's own bug (a
    ValueError, a KeyError, an engine refusing what it was given): those answer the caller and
    leave the circuit as it was, so one careless caller cannot open it for everyone."""
    if isinstance(exc, DependencyUnavailable):
        return True
    if isinstance(exc, ShieldError):  # our deliberate answers: bad input, not found, ...
        return False
    if isinstance(exc, httpx.TransportError | TimeoutError | ConnectionError):
        return True
    if isinstance(exc, OSError):
        return exc.errno in _STORAGE_ERRNOS
    return any(check(exc) for check in _LIBRARY_CHECKS)


def _is_dependency_failure(_exc_type: type[BaseException], exc: BaseException) -> bool:
    return is_dependency_failure(exc)


class Breaker:
    """A named circuit breaker for one dependency of one service."""

    def __init__(
        self,
        service: str,
        name: str,
        failure_threshold: int | None = None,
        recovery_timeout: float | None = None,
        is_failure: Callable[[type[BaseException], BaseException], bool] = _is_dependency_failure,
        register: bool = True,
    ) -> None:
        """`register=False` keeps a short-lived breaker (one per crawled host) out of the
        `shield_circuit_breaker_state` metric and out of memory once it is dropped."""
        self.service = service
        self.name = name
        self._lock = threading.Lock()
        self._circuit = CircuitBreaker(
            failure_threshold=failure_threshold or int(_defaults["failures"]),
            recovery_timeout=recovery_timeout or _defaults["recovery"],
            expected_exception=is_failure,
            name=f"{service}:{name}",
        )
        if register:
            _BREAKERS.add(self)
            BREAKER_OPENED.labels(service, name)  # at 0: the first opening shows in rate()

    @property
    def state(self) -> str:
        return str(self._circuit.state)

    @property
    def retry_after(self) -> float:
        return max(1.0, float(self._circuit.open_remaining))

    @property
    def is_open(self) -> bool:
        return bool(self._circuit.state == STATE_OPEN)

    def _check(self) -> None:
        if self._circuit.state == STATE_OPEN:
            raise DependencyUnavailable(
                self.name,
                f"{self.name} is unavailable (circuit open after repeated failures); "
                f"retry in {round(self.retry_after)} s",
                retry_after=self.retry_after,
                circuit_open=True,
            )

    def _record(self, exc: BaseException | None) -> None:
        if exc is not None and not isinstance(exc, ShieldError) and not is_dependency_failure(exc):
            # Not the dependency's failure, so not counted: worth a look if it recurs (a caller's
            # input that slipped past validation, or a bug of ours).
            log.debug(
                "breaker_not_counted", breaker=f"{self.service}:{self.name}", error=repr(exc)[:300]
            )
        with self._lock:
            was_open = self._circuit.state == STATE_OPEN
            self._circuit.__exit__(type(exc) if exc else None, exc, None)
            if not was_open and self._circuit.state == STATE_OPEN:
                BREAKER_OPENED.labels(self.service, self.name).inc()

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        self._check()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            self._record(exc)
            raise
        self._record(None)
        return result

    async def call_async(
        self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        self._check()
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            self._record(exc)
            raise
        self._record(None)
        return result

    def reset(self) -> None:
        self._circuit.reset()


class _BreakerSet:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Breaker] = {}
        self._lock = threading.Lock()

    def add(self, breaker: Breaker) -> None:
        with self._lock:
            self._items[(breaker.service, breaker.name)] = breaker

    def snapshot(self) -> list[Breaker]:
        with self._lock:
            return list(self._items.values())


_BREAKERS = _BreakerSet()


class BreakerStateCollector(Collector):
    """Reads every breaker's state when Prometheus scrapes, so half-open is never stale."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "shield_circuit_breaker_state",
            "Circuit breaker state: 0 closed, 1 open, 2 half-open.",
            labels=["service", "breaker"],
        )
        for breaker in _BREAKERS.snapshot():
            family.add_metric([breaker.service, breaker.name], STATE_VALUES[breaker.state])
        yield family


REGISTRY.register(BreakerStateCollector())


def retry_idempotent(
    attempts: int = 3,
    max_wait: float = 2.0,
    when: Callable[[BaseException], bool] | None = None,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Bounded, jittered retries; only for idempotent operations, never past an open breaker."""

    def transient(exc: BaseException) -> bool:
        if isinstance(exc, DependencyUnavailable) and exc.circuit_open:
            return False
        return when(exc) if when else is_dependency_failure(exc)

    return retry(
        reraise=True,
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.1, max=max_wait),
        retry=retry_if_exception(transient),
    )
