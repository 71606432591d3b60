"""The graph's backlog: which documents the knowledge graph still has to take in (or forget), in
Redis, so that it survives any process being killed.

Storing a document makes it searchable at once and puts it here; shield-api's graph feeder
(`shield.api.graphfeed`) then hands the graph batches of it when vector ingestion leaves room.
One entry per document, whatever happened to it meanwhile: re-ingesting or deleting a waiting
document replaces its entry (a new ticket), so the graph only ever gets a document's latest
version, and a batch that finishes for an older ticket leaves the newer one waiting.

Keys (all under `shield:graph:`):
- `entries`: hash, `<collection>/<document id>` -> the entry as JSON (its state stays after it
  is stored or failed, so that the document can tell its graph state).
- `due`: sorted set of waiting entries by the time they are next due (retries wait).
- `waiting`: sorted set of waiting entries by the time they started waiting (for the age of
  the oldest, which the backlog's alert watches).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

from redis import Redis

GraphState = Literal["pending", "stored", "failed"]
Operation = Literal["put", "delete"]

PREFIX = "shield:graph:"
ENTRIES = PREFIX + "entries"
DUE = PREFIX + "due"
WAITING = PREFIX + "waiting"

# Settle an entry only if it still holds the ticket that was worked on: a document re-ingested
# or deleted meanwhile keeps its newer entry, still due.
# ARGV: member, ticket, new entry JSON ('' drops the entry), retry time ('' leaves the queues).
_SETTLE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
if cjson.decode(current)['ticket'] ~= ARGV[2] then return 0 end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
end
return 1
"""


@dataclass
class GraphEntry:
    collection: str
    document_id: str
    operation: Operation
    state: GraphState
    ticket: str
    since: float  # when it started waiting
    attempts: int = 0
    error: str | None = None
    version: str = ""  # the document's content hash, for a put

    @property
    def member(self) -> str:
        return member(self.collection, self.document_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> GraphEntry:
        return cls(**json.loads(raw))


def member(collection: str, document_id: str) -> str:
    return f"{collection}/{document_id}"


class GraphBacklog:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._settle = redis.register_script(_SETTLE)

    # -- what shield-api's routes do ---------------------------------------------------------

    def put(self, collection: str, document_id: str, version: str) -> GraphEntry:
        """The graph must (again) take in this document, as it is stored now."""
        return self._wait(collection, document_id, "put", version)

    def delete(self, collection: str, document_id: str) -> GraphEntry:
        """The graph must forget this document."""
        return self._wait(collection, document_id, "delete", "")

    def delete_many(self, collection: str, document_ids: Iterable[str]) -> int:
        count = 0
        for document_id in document_ids:
            self.delete(collection, document_id)
            count += 1
        return count

    def _wait(
        self, collection: str, document_id: str, operation: Operation, version: str
    ) -> GraphEntry:
        key = member(collection, document_id)
        now = time.time()
        previous = self.redis.hget(ENTRIES, key)
        since = now
        if previous is not None:
            earlier = GraphEntry.from_json(previous)
            if earlier.state == "pending":
                since = earlier.since  # it has been waiting since then
        entry = GraphEntry(
            collection, document_id, operation, "pending", uuid.uuid4().hex, since, version=version
        )
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(ENTRIES, key, entry.to_json())
            pipe.zadd(DUE, {key: now})
            pipe.zadd(WAITING, {key: since})
            pipe.execute()
        return entry

    def state(self, collection: str, document_id: str) -> GraphEntry | None:
        raw = self.redis.hget(ENTRIES, member(collection, document_id))
        return GraphEntry.from_json(raw) if raw is not None else None

    def states(self, collection: str, document_ids: list[str]) -> dict[str, GraphEntry]:
        if not document_ids:
            return {}
        raws = self.redis.hmget(ENTRIES, [member(collection, d) for d in document_ids])
        return {
            document_id: GraphEntry.from_json(raw)
            for document_id, raw in zip(document_ids, raws, strict=True)
            if raw is not None
        }

    # -- what the feeder does ----------------------------------------------------------------

    def due(self, limit: int, now: float | None = None) -> list[GraphEntry]:
        """The entries due now, the longest due first."""
        found_members = self.redis.zrangebyscore(
            DUE, "-inf", now or time.time(), start=0, num=limit
        )
        members: list[bytes] = [m for m in found_members if isinstance(m, bytes)]
        if not members:
            return []
        raws = self.redis.hmget(ENTRIES, members)
        found = [GraphEntry.from_json(raw) for raw in raws if raw is not None]
        orphans = [m for m, raw in zip(members, raws, strict=True) if raw is None]
        if orphans:  # an entry dropped without its queue places (cannot happen through here)
            self.redis.zrem(DUE, *orphans)
            self.redis.zrem(WAITING, *orphans)
        return found

    def stored(self, entry: GraphEntry) -> bool:
        """The graph holds the document as the entry asked (a delete leaves nothing behind)."""
        if entry.operation == "delete":
            return self._apply(entry, None, None)
        done = GraphEntry(**{**asdict(entry), "state": "stored", "error": None})
        return self._apply(entry, done, None)

    def failed(self, entry: GraphEntry, error: str, retry_at: float | None) -> bool:
        """The graph could not take the entry: it waits until `retry_at`, or with None it is
        given up as `failed`, with the reason."""
        attempts = entry.attempts + 1
        state: GraphState = "pending" if retry_at is not None else "failed"
        changed = GraphEntry(**{**asdict(entry), "state": state, "attempts": attempts})
        changed.error = error
        return self._apply(entry, changed, retry_at)

    def postpone(self, entry: GraphEntry, retry_at: float) -> bool:
        """The graph could not be reached: try again later, without counting an attempt."""
        return self._apply(entry, entry, retry_at)

    def _apply(self, entry: GraphEntry, new: GraphEntry | None, retry_at: float | None) -> bool:
        settled = self._settle(
            keys=[ENTRIES, DUE, WAITING],
            args=[
                entry.member,
                entry.ticket,
                new.to_json() if new is not None else "",
                "" if retry_at is None else repr(retry_at),
            ],
        )
        return bool(settled)

    # -- what the metrics read ---------------------------------------------------------------

    def waiting(self) -> tuple[int, float]:
        """How many documents wait for the graph, and for how many seconds the oldest has."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(WAITING)
            pipe.zrange(WAITING, 0, 0, withscores=True)
            count, oldest = pipe.execute()
        age = max(0.0, time.time() - oldest[0][1]) if oldest else 0.0
        return int(count), age
