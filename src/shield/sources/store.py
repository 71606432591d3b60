"""Sources in Redis: each source's record, what it held at its last sync (an entry per page or
file, with what tells a change: validators, `lastmod`, mtime and hash, a blob id), and the job
of the sync running now (at most one a source).

    shield:sources                   hash   source_id -> the source's record (JSON)
    shield:source:<id>:items         hash   page URL or file path -> its entry (JSON)
    shield:source:<id>:sync          string the job id of the sync running now (expires)
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field
from redis import Redis

from shield.errors import Conflict, InvalidInput, NotFound
from shield.jobs.models import utcnow
from shield.sources.models import (
    KIND_OPTIONS,
    MAX_SOURCES,
    Source,
    SourceCreate,
    SourceUpdate,
    SyncSummary,
)

SOURCES_KEY = "shield:sources"
# Delete the running sync's mark only if it is still this job's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def items_key(source_id: str) -> str:
    return f"shield:source:{source_id}:items"


def sync_key(source_id: str) -> str:
    return f"shield:source:{source_id}:sync"


class Entry(BaseModel):
    """One page or file of a source as its last sync left it."""

    document_id: str
    etag: str | None = None  # web: the page's validators, for a conditional request
    last_modified: str | None = None
    lastmod: str | None = None  # sitemap: the page's <lastmod>
    mtime_ns: int | None = None  # folder: the file's modification time and size
    size: int | None = None
    blob: str | None = None  # git: the file's blob id
    links: list[str] = Field(default_factory=list)  # web: the page's links, read again on a 304


class SourceStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._release = redis.register_script(_RELEASE)

    def create(self, spec: SourceCreate, collection: str) -> Source:
        if self.redis.hlen(SOURCES_KEY) >= MAX_SOURCES:
            raise Conflict(f"Shield keeps at most {MAX_SOURCES} sources; remove one first")
        same = self._same_place(spec, collection)
        if same is not None:
            raise Conflict(
                f"source {same.source_id} already keeps this {spec.kind} in sync with "
                f"collection {collection!r}",
                source_id=same.source_id,
            )
        now = utcnow()
        fields = spec.model_dump(exclude={"collection"})
        source = Source(
            source_id=uuid.uuid4().hex[:16], collection=collection, created_at=now,
            updated_at=now, **fields,
        )  # fmt: skip
        self.save(source)
        return source

    def _same_place(self, spec: SourceCreate, collection: str) -> Source | None:
        for source in self.list(collection):
            if (source.kind, source.url, source.path) == (spec.kind, spec.url, spec.path):
                return source
        return None

    def save(self, source: Source) -> None:
        record = source.model_dump_json(exclude={"documents", "syncing"})
        self.redis.hset(SOURCES_KEY, source.source_id, record)

    def get(self, source_id: str) -> Source | None:
        raw = self.redis.hget(SOURCES_KEY, source_id)
        if raw is None:
            return None
        return self._live(Source.model_validate_json(raw))

    def require(self, source_id: str) -> Source:
        source = self.get(source_id)
        if source is None:
            raise NotFound(f"no source {source_id}", source_id=source_id)
        return source

    def list(self, collection: str | None = None) -> list[Source]:
        raw: dict[Any, Any] = self.redis.hgetall(SOURCES_KEY)
        sources = [Source.model_validate_json(value) for value in raw.values()]
        chosen = [s for s in sources if collection is None or s.collection == collection]
        return [self._live(s) for s in sorted(chosen, key=lambda s: s.created_at)]

    def ids(self) -> set[str]:
        return {_text(key) for key in self.redis.hkeys(SOURCES_KEY)}

    def _live(self, source: Source) -> Source:
        """The record with what is read at the moment: its documents, the sync running."""
        source.documents = int(self.redis.hlen(items_key(source.source_id)))
        running = self.redis.get(sync_key(source.source_id))
        source.syncing = running.decode() if isinstance(running, bytes) else running
        return source

    def update(self, source_id: str, change: SourceUpdate) -> Source:
        source = self.require(source_id)
        given = change.model_dump(exclude_unset=True)
        if given.get("prune", False) is None:  # prune is yes or no: null leaves it as it is
            del given["prune"]
        wrong = (
            {k for k, v in given.items() if v is not None}
            - KIND_OPTIONS[source.kind]
            - {"every", "prune", "name"}
        )
        if wrong:
            raise InvalidInput(
                f"{', '.join(sorted(wrong))} is not an option of a {source.kind} source"
            )
        updated = source.model_copy(update={**given, "updated_at": utcnow()})
        if updated.every is None:
            updated.next_sync_at = None
        self.save(Source.model_validate(updated.model_dump()))
        return self._live(updated)

    def delete(self, source_id: str) -> None:
        with self.redis.pipeline() as pipe:
            pipe.hdel(SOURCES_KEY, source_id)
            pipe.delete(items_key(source_id), sync_key(source_id))
            pipe.execute()

    def set_summary(self, source_id: str, summary: SyncSummary, succeeded: bool) -> None:
        """Record what a sync did (a source removed meanwhile stays removed)."""
        source = self.get(source_id)
        if source is None:
            return
        source.last_sync = summary
        if succeeded:
            source.last_success_at = summary.ended_at
        self.save(source)

    def set_next(self, source_id: str, when: str | None) -> None:
        source = self.get(source_id)
        if source is not None:
            source.next_sync_at = when
            self.save(source)

    # What the source held at its last sync.

    def entries(self, source_id: str) -> dict[str, Entry]:
        raw: dict[Any, Any] = self.redis.hgetall(items_key(source_id))
        return {_text(key): Entry.model_validate_json(value) for key, value in raw.items()}

    def put_entry(self, source_id: str, key: str, entry: Entry) -> None:
        self.redis.hset(items_key(source_id), key, entry.model_dump_json(exclude_defaults=True))

    def drop_entry(self, source_id: str, key: str) -> None:
        self.redis.hdel(items_key(source_id), key)

    # The sync running now: one a source.

    def claim_sync(self, source_id: str, job_id: str, seconds: int) -> str | None:
        """Mark `job_id` as the source's running sync; None if it now is, else the job id of
        the sync that already runs."""
        if self.redis.set(sync_key(source_id), job_id, nx=True, ex=seconds):
            return None
        running = self.redis.get(sync_key(source_id))
        return (
            _text(running) if running is not None else self.claim_sync(source_id, job_id, seconds)
        )

    def release_sync(self, source_id: str, job_id: str) -> None:
        """The sync ended: the source is free again (unless another sync holds it)."""
        self._release(keys=[sync_key(source_id)], args=[job_id])

    def running_sync(self, source_id: str) -> str | None:
        running = self.redis.get(sync_key(source_id))
        return _text(running) if running is not None else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
