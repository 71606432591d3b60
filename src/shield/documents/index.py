"""The documents in the vector store: replace, look up, list, delete and search them.

Lives in shield-api, the single owner of the store. Every store call goes through the vector
store's circuit breaker; blocking store work runs on worker threads, never on the event loop.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from shield.documents.identity import canonical_source, document_id, point_id
from shield.documents.models import DocumentSummary, DocumentWrite, StoredPassage
from shield.embeddings import Embedder
from shield.errors import Conflict, InvalidInput, NotFound
from shield.fields import Fusion, SearchMode
from shield.graph.vectors import StoredChunks
from shield.metrics import INGESTED_CHUNKS
from shield.resilience import Breaker
from shield.schemas import MAX_DOCUMENTS_LISTED
from shield.vectorstore import Match, PointRecord, ScoredRecord, VectorStore
from shield.vectorstore.base import (
    CollectionInfo,
    Progress,
    StoreQuery,
    check_compatible,
)

#: Filter keys a caller may use; anything under `metadata.` is the caller's own.
FILTER_KEYS = ("document_id", "source", "title", "job_id", "content_hash", "source_id")
#: Indexed by the first write to a collection (the others have indexes from its creation).
WRITTEN_INDEXES = ("title", "content_hash", "source_id")
MAX_FIELD_CHARS = 64
_FIELD = rf"[A-Za-z0-9_][A-Za-z0-9_-]{{0,{MAX_FIELD_CHARS - 1}}}"
#: `metadata.<field>`, or a field nested in it (`metadata.owner.team`, at most 4 deep): what the
#: store parses as a key, and short enough to index.
METADATA_FILTER_KEY = re.compile(rf"^metadata(\.{_FIELD}){{1,4}}$")
_TOP_LEVEL_FIELD = re.compile(rf"^{_FIELD}$")
MAX_FILTER_CONDITIONS = 16
MAX_FILTER_VALUES = 100
MAX_FILTER_VALUE_CHARS = 4096
MAX_DOCUMENT_CHUNKS = 100_000  # a document's passages read back at once (its whole text)
#: Metadata fields indexed per collection, by the writes that bring them (a filter on any other
#: field still works: the store checks payloads one by one).
MAX_FILTER_INDEXES = 32
#: How far a search grouped by document reaches for distinct documents.
MAX_GROUPED_PASSAGES = 2000


@dataclass(frozen=True)
class Search:
    """A search as a caller asks it (the API's and the MCP tool's parameters)."""

    query: str
    mode: SearchMode | None = None  # the collection's best: hybrid, or dense before a reindex
    limit: int = 10
    offset: int = 0
    score_threshold: float | None = None
    where: Sequence[Match] = ()
    group_by: Literal["document"] | None = None


@dataclass(frozen=True)
class Found:
    mode: SearchMode  # the mode that ran
    hits: list[ScoredRecord]


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def parse_filter(raw: dict[str, Any] | None) -> list[Match]:
    """`{"source": "a", "metadata.team": ["x", "y"]}` -> conditions that must all hold.

    Everything is checked here, before the store sees it: a key the store could not parse
    would otherwise fail inside its circuit breaker."""
    if not raw:
        return []
    if len(raw) > MAX_FILTER_CONDITIONS:
        raise InvalidInput(
            f"a filter holds at most {MAX_FILTER_CONDITIONS} conditions; it has {len(raw)}",
            field="filter",
        )
    matches = []
    for key, value in raw.items():
        if key not in FILTER_KEYS and not METADATA_FILTER_KEY.match(key):
            raise InvalidInput(
                f"cannot filter on {key[:80]!r}; use one of {', '.join(FILTER_KEYS)} or "
                "metadata.<field>, a field name of letters, digits, '_' and '-' "
                f"(at most {MAX_FIELD_CHARS} characters; nested fields joined by '.')",
                field=f"filter.{key[:80]}",
            )
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str | int | bool) for v in values):
            raise InvalidInput(
                f"filter {key!r} must be a string, number or boolean, or a non-empty list of them",
                field=f"filter.{key}",
            )
        if len(values) > MAX_FILTER_VALUES:
            raise InvalidInput(
                f"filter {key!r} lists {len(values)} values; at most {MAX_FILTER_VALUES}",
                field=f"filter.{key}",
            )
        if any(isinstance(v, str) and len(v) > MAX_FILTER_VALUE_CHARS for v in values):
            raise InvalidInput(
                f"a value of filter {key!r} is longer than {MAX_FILTER_VALUE_CHARS} characters",
                field=f"filter.{key}",
            )
        if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63 for v in values):
            raise InvalidInput(
                f"a number of filter {key!r} is outside the 64-bit integer range",
                field=f"filter.{key}",
            )
        matches.append(Match(key, tuple(values)))
    return matches


def index_kind(values: Sequence[object]) -> str | None:
    """The payload index a field holding these values takes; None: not one kind we index."""
    if not values:
        return None
    first = values[0]
    if any(type(v) is not type(first) for v in values):
        return None
    if isinstance(first, bool):
        return "bool"
    if isinstance(first, int):
        return "integer" if abs(first) < 2**63 else None
    return "keyword" if isinstance(first, str) else None


class DocumentIndex:
    def __init__(self, store: VectorStore, embedder: Embedder, breaker: Breaker) -> None:
        self.store = store
        self.embedder = embedder
        self.breaker = breaker
        self.last_write = time.monotonic()
        self._indexed: dict[str, set[str]] = {}
        self._lexical: dict[str, bool] = {}  # per collection, once it is known compatible

    # -- collections -------------------------------------------------------------------------

    def _existing(self, collection: str) -> None:
        info = self.breaker.call(self.store.get_collection, collection)
        if info is None:
            raise NotFound(f"collection {collection!r} does not exist", collection=collection)

    def exists(self, collection: str) -> bool:
        return self.breaker.call(self.store.get_collection, collection) is not None

    def collections(self) -> list[dict[str, Any]]:
        return [_described(c) for c in self.breaker.call(self.store.list_collections)]

    def create_collection(self, collection: str, fusion: Fusion) -> dict[str, Any]:
        """A new, empty collection with both indexes and the given fusion; 409 if it exists."""
        if self.breaker.call(self.store.get_collection, collection) is not None:
            raise Conflict(f"collection {collection!r} exists already", collection=collection)
        model, dimension = self.embedder.model_name, self.embedder.dimension
        self.breaker.call(self.store.create_collection, collection, model, dimension, fusion=fusion)
        info = self.breaker.call(self.store.get_collection, collection)
        assert info is not None
        return _described(info)

    # -- documents ---------------------------------------------------------------------------

    def get(self, collection: str, doc_id: str) -> DocumentSummary | None:
        if self.breaker.call(self.store.get_collection, collection) is None:
            return None
        first = self.breaker.call(
            self.store.scroll,
            collection,
            [Match("document_id", (doc_id,)), Match("chunk_index", (0,))],
            1,
        )
        if not first:
            return None
        chunks = self.breaker.call(self.store.count, collection, [Match("document_id", (doc_id,))])
        return _summary(_passage(first[0]), chunks)

    def replace(self, collection: str, doc_id: str, write: DocumentWrite) -> DocumentSummary:
        """Make the document consist of exactly `write.chunks` (idempotent)."""
        if doc_id != document_id(collection, write.source):
            raise InvalidInput("document_id does not match the source and collection")
        if not write.chunks:
            raise InvalidInput("a document needs at least one chunk")
        dimension = len(write.chunks[0].vector)
        if any(len(c.vector) != dimension for c in write.chunks):
            raise InvalidInput("every chunk vector must have the same dimension")
        if write.embedding_model != self.embedder.model_name:
            raise Conflict(
                f"chunks were embedded with {write.embedding_model} but shield-api uses "
                f"{self.embedder.model_name}; configure the worker and the API alike"
            )
        self.breaker.call(
            self.store.ensure_collection, collection, write.embedding_model, dimension
        )
        previous = self.breaker.call(
            self.store.count, collection, [Match("document_id", (doc_id,))]
        )
        ingested_at = now_iso()
        source = canonical_source(write.source)
        points = [
            PointRecord(
                id=point_id(doc_id, index),
                vector=chunk.vector,
                payload=StoredPassage(
                    text=chunk.text,
                    document_id=doc_id,
                    source=source,
                    title=write.title,
                    chunk_index=index,
                    chunk_count=len(write.chunks),
                    content_hash=write.content_hash,
                    ingested_at=ingested_at,
                    job_id=write.job_id,
                    collection=collection,
                    metadata=write.metadata,
                    source_id=write.source_id,
                    headings=chunk.headings,
                    pages=chunk.pages,
                ).payload(),
            )
            for index, chunk in enumerate(write.chunks)
        ]
        self.last_write = time.monotonic()
        # One upsert overwrites chunks 0..n-1 in place; then the old tail, if it was longer.
        self.breaker.call(self.store.upsert, collection, points)
        stale = [point_id(doc_id, i) for i in range(len(points), previous)]
        self.breaker.call(self.store.delete_points, collection, stale)
        self._index_written_fields(collection, write.metadata)
        INGESTED_CHUNKS.inc(len(points))
        return _summary(_passage(points[0]), len(points))

    def stored_chunks(self, collection: str, doc_id: str) -> StoredChunks | None:
        """A stored document's chunks in order, with their vectors and the model that made
        them; None if it is not (or no longer) stored."""
        info = self.breaker.call(self.store.get_collection, collection)
        if info is None:
            return None
        where = [Match("document_id", (doc_id,))]
        count = self.breaker.call(self.store.count, collection, where)
        if count == 0:
            return None
        records = self.breaker.call(self.store.scroll, collection, where, count, True)
        ordered = sorted(records, key=lambda r: _passage(r).chunk_index)
        return StoredChunks(
            info.embedding_model,
            [_passage(r).text for r in ordered],
            [r.vector or [] for r in ordered],
        )

    def delete(self, collection: str, doc_id: str) -> int:
        self._existing(collection)
        where = [Match("document_id", (doc_id,))]
        count = self.breaker.call(self.store.count, collection, where)
        if count == 0:
            raise NotFound(
                f"document {doc_id} is not in collection {collection!r}", document_id=doc_id
            )
        self.breaker.call(self.store.delete_matching, collection, where)
        return count

    def list_documents(self, collection: str) -> list[DocumentSummary]:
        self._existing(collection)
        counts = self.breaker.call(
            self.store.facet, collection, "document_id", MAX_DOCUMENTS_LISTED
        )
        firsts = self.breaker.call(
            self.store.scroll, collection, [Match("chunk_index", (0,))], MAX_DOCUMENTS_LISTED
        )
        passages = [_passage(r) for r in firsts]
        return sorted(
            (_summary(p, counts.get(p.document_id, 0)) for p in passages),
            key=lambda d: d.source,
        )

    def passages(self, collection: str, doc_id: str) -> list[tuple[str, list[str]]]:
        """A document's passages in their order, each with its heading path; NotFound if it is
        not in the collection."""
        self._existing(collection)
        records = self.breaker.call(
            self.store.scroll, collection, [Match("document_id", (doc_id,))], MAX_DOCUMENT_CHUNKS
        )
        if not records:
            raise NotFound(f"document {doc_id} is not in collection {collection!r}")
        passages = sorted((_passage(r) for r in records), key=lambda p: p.chunk_index)
        return [(p.text, p.headings) for p in passages]

    def delete_collection(self, collection: str) -> list[str]:
        """Remove a collection and every point in it; returns the ids of its documents."""
        documents = [d.document_id for d in self.list_documents(collection)]  # 404 if missing
        self.breaker.call(self.store.delete_collection, collection)
        self._lexical.pop(collection, None)
        self._indexed.pop(collection, None)
        return documents

    def has_lexical_index(self, collection: str) -> bool:
        info = self.breaker.call(self.store.get_collection, collection)
        if info is None:
            raise NotFound(f"collection {collection!r} does not exist", collection=collection)
        return info.lexical is not None

    def add_lexical_index(self, collection: str, progress: Progress | None = None) -> None:
        """Give a collection built before the lexical index one (its embeddings are kept)."""
        try:
            self.breaker.call(self.store.add_lexical_index, collection, progress)
        finally:
            self._lexical.pop(collection, None)

    # -- search ------------------------------------------------------------------------------

    def search(
        self, collection: str, search: Search, vector: Sequence[float] | None = None
    ) -> Found:
        """Best first; with `group_by="document"` the best passage of each document, `limit`
        documents after skipping `offset`. `vector` is the query's embedding if the caller has
        it already (it is computed here otherwise, for the modes that need it)."""
        lexical = self._searchable(collection)  # before spending time on the embedding
        mode = search.mode or (SearchMode.HYBRID if lexical else SearchMode.DENSE)
        if vector is None and mode != SearchMode.LEXICAL:
            vector = self.embedder.embed_one(search.query)
        if search.group_by is None:
            return Found(mode, self._query(collection, mode, search, vector, search.limit))
        return Found(mode, self._best_per_document(collection, mode, search, vector))

    def _query(
        self,
        collection: str,
        mode: SearchMode,
        search: Search,
        vector: Sequence[float] | None,
        limit: int,
        offset: int | None = None,
    ) -> list[ScoredRecord]:
        query = StoreQuery(
            mode=mode,
            vector=vector,
            text=search.query,
            limit=limit,
            offset=search.offset if offset is None else offset,
            score_threshold=search.score_threshold,
            where=search.where,
        )
        return self.breaker.call(self.store.search, collection, query)

    def _best_per_document(
        self, collection: str, mode: SearchMode, search: Search, vector: Sequence[float] | None
    ) -> list[ScoredRecord]:
        """Passages are fetched best first, several per wanted document, and each document
        keeps its first; more are fetched while too few documents came back."""
        wanted = search.offset + search.limit
        fetch = min(MAX_GROUPED_PASSAGES, wanted * 4)
        while True:
            hits = self._query(collection, mode, search, vector, fetch, 0)
            best: dict[str, ScoredRecord] = {}
            for hit in hits:
                best.setdefault(str(hit.payload.get("document_id", hit.id)), hit)
            if len(best) >= wanted or len(hits) < fetch or fetch >= MAX_GROUPED_PASSAGES:
                return list(best.values())[search.offset : wanted]
            fetch = min(MAX_GROUPED_PASSAGES, fetch * 4)

    def _searchable(self, collection: str) -> bool:
        """The collection exists and was built with our model (checked once; it cannot change);
        whether it has a lexical index."""
        lexical = self._lexical.get(collection)
        if lexical is not None:
            return lexical
        info = self.breaker.call(self.store.get_collection, collection)
        if info is None:
            raise NotFound(f"collection {collection!r} does not exist", collection=collection)
        check_compatible(info, self.embedder.model_name, self.embedder.dimension)
        self._lexical[collection] = info.lexical is not None
        return info.lexical is not None

    def _index_written_fields(self, collection: str, metadata: dict[str, Any]) -> None:
        """Index the fields a write brings, the first time a collection sees each, so filters
        on them are fast (measured: 7 ms unindexed against 0.2 ms at 10k chunks). Only writers
        do this: a reader's filter never changes the store, and metadata fields count against
        the collection's MAX_FILTER_INDEXES."""
        known = self._indexed.get(collection)
        if known is None:
            known = self.breaker.call(self.store.indexed_fields, collection)
            self._indexed[collection] = known
        wanted: dict[str, str] = {key: "keyword" for key in WRITTEN_INDEXES}
        metadata_indexes = sum(1 for key in known if key.startswith("metadata."))
        for field_name, value in metadata.items():
            key = f"metadata.{field_name}"
            kind = index_kind(value if isinstance(value, list) else [value])
            if key in known or kind is None or not _TOP_LEVEL_FIELD.match(field_name):
                continue
            if metadata_indexes >= MAX_FILTER_INDEXES:
                break
            wanted[key] = kind
            metadata_indexes += 1
        for key, kind in wanted.items():
            if key not in known:
                self.breaker.call(self.store.create_index, collection, key, kind)
                known.add(key)


def _described(info: CollectionInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "points": info.points,
        "embedding_model": info.embedding_model,
        "dimension": info.dimension,
        "lexical": info.lexical is not None,
        "fusion": info.fusion.value,
    }


def _passage(record: PointRecord | ScoredRecord) -> StoredPassage:
    return StoredPassage.model_validate(record.payload)


def _summary(passage: StoredPassage, chunks: int) -> DocumentSummary:
    return DocumentSummary(
        document_id=passage.document_id,
        source=passage.source,
        title=passage.title,
        chunks=chunks,
        content_hash=passage.content_hash,
        ingested_at=passage.ingested_at,
        collection=passage.collection,
        job_id=passage.job_id,
        metadata=passage.metadata,
        source_id=passage.source_id,
    )
