"""A job waits out a dependency that is briefly unavailable, instead of failing.

A worker's calls to shield-api (and to a remote embedding server) fail with
`DependencyUnavailable` while it restarts, or while one of its own breakers is open. The job was
accepted, so it must not be lost to that: each such call is tried again after an exponential,
jittered backoff that never comes sooner than the `Retry-After` the dependency (or the worker's
own open breaker) asked for, for up to `patience` seconds, several times a breaker's recovery
window. Meanwhile the job's `waiting_for` says what it waits for and when it tries next, and a
cancel is heard within a second.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from shield.errors import DependencyUnavailable, JobCancelled
from shield.jobs.models import JobWait, utcnow
from shield.jobs.transitions import JobReporter
from shield.logging import get_logger

log = get_logger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

FIRST_WAIT_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
CANCEL_CHECK_SECONDS = 1.0


def backoff(tries: int, retry_after: float, rng: random.Random) -> float:
    """Seconds before try `tries + 1`: exponential with jitter, and never before `retry_after`
    (a little after it, so that workers told the same moment do not all come back at once)."""
    exponential = min(MAX_BACKOFF_SECONDS, FIRST_WAIT_SECONDS * 2 ** (tries - 1))
    return max(rng.uniform(exponential / 2, exponential), retry_after * rng.uniform(1.0, 1.1))


class Patience:
    def __init__(
        self,
        seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.seconds = seconds
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.waited_seconds = 0.0  # in all, so that a document's time budget leaves it out

    def call(self, job: JobReporter, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn`'s result, once its dependency answers; its last `DependencyUnavailable` when
        `seconds` have passed without an answer. Only for calls that may be repeated."""
        deadline: float | None = None
        tries = 0
        while True:
            try:
                result = fn(*args, **kwargs)
            except DependencyUnavailable as exc:
                now = self._clock()
                deadline = now + self.seconds if deadline is None else deadline
                if now >= deadline:
                    self._waited(job, tries)
                    raise DependencyUnavailable(
                        exc.service,
                        f"{exc.message} (still, after waiting {round(self.seconds)} s)",
                        retry_after=exc.retry_after,
                    ) from exc
                tries += 1
                wait = min(backoff(tries, exc.retry_after, self._rng), deadline - now)
                self._wait(job, exc, tries, wait)
                continue
            self._waited(job, tries)
            return result

    def _wait(self, job: JobReporter, exc: DependencyUnavailable, tries: int, wait: float) -> None:
        since = job.state.waiting_for.since if job.state.waiting_for else utcnow()
        next_try = time.time() + wait
        job.state.waiting_for = JobWait(
            service=exc.service,
            reason=exc.message,
            since=since,
            tries=tries,
            next_try_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(next_try)),
        )
        job.save()
        log.info("job_waiting", service=exc.service, reason=exc.message, seconds=round(wait, 1))
        start = self._clock()
        try:
            while (left := start + wait - self._clock()) > 0:
                if job.cancel_requested:
                    raise JobCancelled(job.state.job_id)
                self._sleep(min(CANCEL_CHECK_SECONDS, left))
        finally:
            self.waited_seconds += self._clock() - start

    @staticmethod
    def _waited(job: JobReporter, tries: int) -> None:
        if tries and job.state.waiting_for is not None:
            job.state.waiting_for = None
            job.save()
