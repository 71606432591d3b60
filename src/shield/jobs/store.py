"""Job states in Redis, and a stream of their changes per job.

Each state change is written with one Lua script that also appends the new state to the job's
Redis stream, so `GET /jobs/{id}` and the SSE stream never disagree. A job in a final state
(succeeded, failed, cancelled) is never changed again: a worker that finishes after a cancel
cannot overwrite it.
"""

from __future__ import annotations

import json
from typing import Any

from redis import Redis
from redis.client import Pipeline

from shield.jobs.models import JobState, utcnow

KEY_PREFIX = "shield:job:"
INDEX_KEY = "shield:jobs"
ACTIVE_KEY = "shield:jobs:active"  # jobs not yet in a final state, by creation time
CANCEL_PREFIX = "shield:job-cancel:"
EVENTS_MAXLEN = 1000

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

    def recent(self, limit: int) -> list[JobState]:
        ids: Any = self.redis.zrevrange(INDEX_KEY, 0, limit - 1)
        states = [self.get(i.decode() if isinstance(i, bytes) else i) for i in ids]
        return [s for s in states if s is not None]

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
