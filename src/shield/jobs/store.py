"""Job states in Redis, and a stream of their changes per job.

Each state change is written with one Lua script that also appends the new state to the job's
Redis stream, so `GET /jobs/{id}` and the SSE stream never disagree. A job in a final state
(succeeded, failed, cancelled) is never changed again: a worker that finishes after a cancel
cannot overwrite it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.client import Pipeline

from shield.jobs.models import JobState, JobStatus, utcnow

KEY_PREFIX = "shield:job:"
INDEX_KEY = "shield:jobs"
ACTIVE_KEY = "shield:jobs:active"  # jobs not yet in a final state, by creation time
CANCEL_PREFIX = "shield:job-cancel:"
EVENTS_MAXLEN = 1000
SCAN_BATCH = 200
MAX_SCANNED = 10_000  # jobs one page looks at: a rare filter answers fewer, with a cursor

_UPDATE = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local status = cjson.decode(current)['status']
if status == 'succeeded' or status == 'failed' or status == 'cancelled' then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'state', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[3], ARGV[5])
  redis.call('DEL', KEYS[4])
end
return 1
"""

_CREATE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'state', ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
  redis.call('SET', KEYS[4], ARGV[6], 'EX', ARGV[2])
  redis.call('ZADD', KEYS[5], ARGV[3], ARGV[5])
  return 1
end
return 0
"""


def state_key(job_id: str) -> str:
    return KEY_PREFIX + job_id


def request_key(job_id: str) -> str:
    return KEY_PREFIX + job_id + ":request"


def events_key(job_id: str) -> str:
    return KEY_PREFIX + job_id + ":events"


def heartbeat_key(job_id: str) -> str:
    """Present while shield-api itself runs the job (a reindex), which has no queue entry."""
    return KEY_PREFIX + job_id + ":heartbeat"


def upload_key(job_id: str) -> str:
    """An uploaded file's bytes, kept until its job reaches a final state."""
    return KEY_PREFIX + job_id + ":upload"


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a listing or a bulk cancel is about; an empty set matches every value.
    `within`: the collections the caller may see (None: every one)."""

    statuses: frozenset[JobStatus] = field(default_factory=frozenset)
    kinds: frozenset[str] = field(default_factory=frozenset)
    collection: str | None = None
    within: frozenset[str] | None = None

    def matches(self, state: JobState) -> bool:
        return (
            (not self.statuses or state.status in self.statuses)
            and (not self.kinds or state.kind in self.kinds)
            and (self.collection is None or state.collection == self.collection)
            and (self.within is None or state.collection in self.within)
        )


@dataclass(frozen=True)
class JobCursor:
    """Where a listing stopped: the last job it looked at (newest first: creation time, then
    id). Opaque to clients."""

    created: float
    job_id: str

    def encode(self) -> str:
        raw = json.dumps([self.created, self.job_id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> JobCursor:
        """Raises ValueError for anything but a cursor this API gave."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            created, job_id = json.loads(raw)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise ValueError("not a cursor this API gave; pass next_cursor as it came") from exc
        if not isinstance(created, int | float) or not isinstance(job_id, str):
            raise ValueError("not a cursor this API gave; pass next_cursor as it came")
        return cls(float(created), job_id)


@dataclass
class JobPage:
    jobs: list[JobState]
    next_cursor: JobCursor | None  # None: every job kept has been looked at


class JobStore:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    def create(
        self,
        state: JobState,
        request: dict[str, Any],
        created_ts: float,
        pipeline: Pipeline | None = None,
        upload: bytes | None = None,
    ) -> None:
        """Store a new job's state and, apart from it, the full request the worker reads.

        Given a pipeline, the write joins it and its result (1 created, 0 exists) comes with the
        pipeline's results. An uploaded file is stored beside them in the same transaction."""
        # EVAL, not EVALSHA: redis-py checks a registered script's presence with an extra round
        # trip on every pipeline, and a NOSCRIPT inside MULTI (after a Redis restart) would leave
        # the queue entry without its state. Redis caches the compiled script anyway.
        client: Any = pipeline if pipeline is not None else self.redis
        if upload is not None:  # before the state: the pipeline's last result is the creation's
            client.set(upload_key(state.job_id), upload, ex=self.ttl)
        created = client.eval(
            _CREATE,
            5,
            state_key(state.job_id),
            events_key(state.job_id),
            INDEX_KEY,
            request_key(state.job_id),
            ACTIVE_KEY,
            state.model_dump_json(),
            self.ttl,
            created_ts,
            EVENTS_MAXLEN,
            state.job_id,
            json.dumps(request),
        )
        if pipeline is None and not created:
            raise RuntimeError(f"job {state.job_id} already exists")

    def request(self, job_id: str) -> dict[str, Any] | None:
        raw: Any = self.redis.get(request_key(job_id))
        return dict(json.loads(raw)) if raw else None

    def upload(self, job_id: str) -> bytes | None:
        raw: Any = self.redis.get(upload_key(job_id))
        return bytes(raw) if raw is not None else None

    def get(self, job_id: str) -> JobState | None:
        raw: Any = self.redis.get(state_key(job_id))
        return JobState.model_validate_json(raw) if raw else None

    def save(self, state: JobState) -> bool:
        """Persist a new state; False when the job is gone or already final."""
        state.updated_at = utcnow()
        saved = self.redis.eval(
            _UPDATE,
            4,
            state_key(state.job_id),
            events_key(state.job_id),
            ACTIVE_KEY,
            upload_key(state.job_id),
            state.model_dump_json(),
            self.ttl,
            EVENTS_MAXLEN,
            "1" if state.is_final else "0",
            state.job_id,
        )
        return bool(saved)

    def page(self, where: JobFilter, limit: int, after: JobCursor | None = None) -> JobPage:
        """Up to `limit` jobs matching `where`, newest first, from just after `after`. Looks at
        MAX_SCANNED jobs at most, so a filter that few jobs match answers in bounded time with a
        cursor to go on from. Ids whose state has expired are dropped from the index."""
        found: list[JobState] = []
        expired: list[str] = []
        last: JobCursor | None = None
        scanned = 0
        try:
            for batch in self._newest_first(after, first=limit):
                raw: Any = self.redis.mget([state_key(job_id) for job_id, _ in batch])
                for (job_id, created), data in zip(batch, raw, strict=True):
                    scanned += 1
                    last = JobCursor(created, job_id)
                    if data is None:
                        expired.append(job_id)
                        continue
                    state = JobState.model_validate_json(data)
                    if where.matches(state):
                        found.append(state)
                    if len(found) == limit or scanned >= MAX_SCANNED:
                        return JobPage(found, last)
            return JobPage(found, None)
        finally:
            if expired:  # after the scan: removing during it would shift its offsets
                self.redis.zrem(INDEX_KEY, *expired)

    def _newest_first(
        self, after: JobCursor | None, first: int
    ) -> Iterator[list[tuple[str, float]]]:
        """Ids and creation times after `after`, in batches: `first` ids (what an unfiltered
        page needs), then SCAN_BATCH at a time."""
        top: float | str = "+inf" if after is None else after.created
        offset, size = 0, min(first, SCAN_BATCH)
        while True:
            rows: Any = self.redis.zrevrangebyscore(
                INDEX_KEY, top, "-inf", start=offset, num=size, withscores=True
            )
            size = SCAN_BATCH
            if not rows:
                return
            offset += len(rows)
            batch = [(_text(member), float(score)) for member, score in rows]
            if after is not None:  # the same creation time: ids after the cursor's only
                batch = [
                    (job_id, created)
                    for job_id, created in batch
                    if created < after.created or job_id < after.job_id
                ]
            if batch:
                yield batch

    def unfinished(self, where: JobFilter) -> list[JobState]:
        """Jobs not yet in a final state that match `where`, oldest first; read whole before
        any is acted on (finishing one takes it out of the set being read)."""
        states: list[JobState] = []
        offset = 0
        while True:
            ids: Any = self.redis.zrange(ACTIVE_KEY, offset, offset + SCAN_BATCH - 1)
            if not ids:
                return states
            offset += len(ids)
            raw: Any = self.redis.mget([state_key(_text(i)) for i in ids])
            for data in raw:
                if data is not None:
                    state = JobState.model_validate_json(data)
                    if not state.is_final and where.matches(state):
                        states.append(state)

    def active_since_before(self, timestamp: float, limit: int) -> list[str]:
        """Ids of unfinished jobs created before `timestamp`, oldest first."""
        ids: Any = self.redis.zrangebyscore(ACTIVE_KEY, "-inf", timestamp, start=0, num=limit)
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    def forget_active(self, job_id: str) -> None:
        """Drop an id whose state has expired from the active set."""
        self.redis.zrem(ACTIVE_KEY, job_id)

    def heartbeat(self, job_id: str, seconds: int) -> None:
        self.redis.set(heartbeat_key(job_id), "1", ex=seconds)

    def alive(self, job_id: str) -> bool:
        """Whether a job without a queue entry is still being run."""
        return bool(self.redis.exists(heartbeat_key(job_id)))

    def request_cancel(self, job_id: str) -> None:
        self.redis.set(CANCEL_PREFIX + job_id, "1", ex=self.ttl)

    def cancel_requested(self, job_id: str) -> bool:
        return bool(self.redis.exists(CANCEL_PREFIX + job_id))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
