"""A Qdrant server or cluster by URL, through `qdrant-client` (the production option).

The same class runs on `qdrant-client`'s local mode (`path=` or `:memory:`), which is how the
contract tests exercise it where no Qdrant server can run. Collection metadata records the
embedding model and dimension.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from shield.fields import DEFAULT_FUSION, Fusion, SearchMode
from shield.vectorstore.base import (
    DEFAULT_HNSW_EF,
    INTEGER_INDEXES,
    KEYWORD_INDEXES,
    PREFETCH,
    REINDEX_PAGE,
    CollectionInfo,
    Match,
    NoLexicalIndex,
    PointRecord,
    Progress,
    ScoredRecord,
    StoreError,
    StoreQuery,
    Value,
    VectorStore,
    WriteLocks,
    dense_part,
    scrolled,
)
from shield.vectorstore.lexical import (
    DEFAULT_LEXICAL,
    LEXICAL_VECTOR,
    LexicalConfig,
    LexicalEncoder,
    SparseTerms,
    encoder_for,
    shared_encoder,
)

_FUSION = {
    Fusion.DBSF: models.FusionQuery(fusion=models.Fusion.DBSF),
    Fusion.RRF: models.RrfQuery(rrf=models.Rrf(k=60)),  # the server's default k is 2
}
_SCHEMAS = {
    "keyword": models.PayloadSchemaType.KEYWORD,
    "integer": models.PayloadSchemaType.INTEGER,
    "bool": models.PayloadSchemaType.BOOL,
}


def _sparse(terms: SparseTerms) -> models.SparseVector:
    return models.SparseVector(indices=list(terms.indices), values=list(terms.values))


def _filter(where: Sequence[Match]) -> models.Filter | None:
    if not where:
        return None
    conditions: list[Any] = []
    for match in where:
        values = list(match.values)
        condition = (
            models.MatchValue(value=values[0]) if len(values) == 1 else models.MatchAny(any=values)
        )
        conditions.append(models.FieldCondition(key=match.key, match=condition))
    return models.Filter(must=conditions)


class QdrantServerStore(VectorStore):
    backend = "qdrant"

    def __init__(self, client: QdrantClient, hnsw_ef: int = DEFAULT_HNSW_EF) -> None:
        self.client = client
        self._params = models.SearchParams(hnsw_ef=hnsw_ef)
        self._settings_cache: dict[str, CollectionInfo] = {}
        self._locks = WriteLocks()

    @classmethod
    def from_url(
        cls, url: str, api_key: str | None, timeout: float, hnsw_ef: int = DEFAULT_HNSW_EF
    ) -> QdrantServerStore:
        return cls(QdrantClient(url=url, api_key=api_key, timeout=int(timeout)), hnsw_ef)

    def create_collection(
        self,
        name: str,
        embedding_model: str,
        dimension: int,
        lexical: LexicalConfig | None = DEFAULT_LEXICAL,
        fusion: Fusion = DEFAULT_FUSION,
    ) -> None:
        self._create(CollectionInfo(name, embedding_model, dimension, 0, lexical, fusion))

    def _create(self, info: CollectionInfo, indexes: dict[str, Any] | None = None) -> None:
        sparse = {LEXICAL_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)}
        self.client.create_collection(
            info.name,
            vectors_config=models.VectorParams(
                size=info.dimension, distance=models.Distance.COSINE
            ),
            sparse_vectors_config=sparse if info.lexical else None,
            metadata=info.settings(),
        )
        defaults = {key: _SCHEMAS["keyword"] for key in KEYWORD_INDEXES} | {
            key: _SCHEMAS["integer"] for key in INTEGER_INDEXES
        }
        for key, schema in (indexes or defaults).items():
            self.client.create_payload_index(info.name, key, schema)
        self._settings_cache.pop(info.name, None)

    def get_collection(self, name: str) -> CollectionInfo | None:
        if not self.client.collection_exists(name):
            return None
        info = self.client.get_collection(name)
        meta = info.config.metadata or {}
        if "embedding_model" not in meta:
            raise StoreError(
                f"collection {name!r} was not created by Shield (it records no embedding model)"
            )
        points = self.client.count(name, exact=True).count
        return CollectionInfo.from_settings(name, meta, points)

    def _settings(self, name: str) -> CollectionInfo:
        info = self._settings_cache.get(name)
        if info is None:
            found = self.get_collection(name)
            if found is None:
                raise StoreError(f"collection {name!r} does not exist")
            info = self._settings_cache[name] = found
        return info

    def list_collections(self) -> list[CollectionInfo]:
        names = sorted(c.name for c in self.client.get_collections().collections)
        result = []
        for name in names:
            try:
                info = self.get_collection(name)
            except StoreError:
                continue  # someone else's collection on a shared server
            if info is not None:
                result.append(info)
        return result

    def delete_collection(self, name: str) -> bool:
        self._settings_cache.pop(name, None)
        if not self.client.collection_exists(name):
            return False
        return bool(self.client.delete_collection(name))

    def _point(self, point: PointRecord, encoder: LexicalEncoder | None) -> models.PointStruct:
        dense = [float(x) for x in point.vector]
        if encoder is None:
            return models.PointStruct(id=point.id, vector=dense, payload=point.payload)
        lexical = _sparse(encoder.document(str(point.payload.get("text", ""))))
        return models.PointStruct(
            id=point.id, vector={"": dense, LEXICAL_VECTOR: lexical}, payload=point.payload
        )

    def upsert(self, name: str, points: Sequence[PointRecord]) -> None:
        if not points:
            return
        encoder = encoder_for(self._settings(name).lexical)
        batch = [self._point(p, encoder) for p in points]
        with self._locks.held(name):
            self.client.upsert(name, points=batch, wait=True)

    def delete_points(self, name: str, ids: Sequence[str]) -> None:
        if ids:
            with self._locks.held(name):
                selector = models.PointIdsList(points=list(ids))
                self.client.delete(name, points_selector=selector, wait=True)

    def delete_matching(self, name: str, where: Sequence[Match]) -> None:
        flt = _filter(where)
        if flt is None:
            raise ValueError("refusing to delete every point: give at least one condition")
        with self._locks.held(name):
            selector = models.FilterSelector(filter=flt)
            self.client.delete(name, points_selector=selector, wait=True)

    def search(self, name: str, query: StoreQuery) -> list[ScoredRecord]:
        encoder = (
            encoder_for(self._settings(name).lexical) if query.mode != SearchMode.DENSE else None
        )
        if query.mode != SearchMode.DENSE and encoder is None:
            raise NoLexicalIndex(name)
        flt = _filter(query.where)
        dense = [float(x) for x in query.vector] if query.vector is not None else None
        lexical = _sparse(encoder.query(query.text or "")) if encoder is not None else None
        arguments: dict[str, Any]
        if query.mode == SearchMode.HYBRID:
            depth = max(PREFETCH, query.offset + query.limit)
            prefetch = [
                models.Prefetch(query=dense, limit=depth, filter=flt, params=self._params),
                models.Prefetch(query=lexical, using=LEXICAL_VECTOR, limit=depth, filter=flt),
            ]
            arguments = {"prefetch": prefetch, "query": _FUSION[self._settings(name).fusion]}
        elif query.mode == SearchMode.LEXICAL:
            arguments = {"query": lexical, "using": LEXICAL_VECTOR}
        else:
            arguments = {"query": dense, "search_params": self._params}
        response = self.client.query_points(
            name,
            limit=query.limit,
            offset=query.offset,
            query_filter=flt,
            score_threshold=query.score_threshold,
            with_payload=True,
            **arguments,
        )
        return [
            ScoredRecord(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points
        ]

    def add_lexical_index(self, name: str, progress: Progress | None = None) -> None:
        """A server cannot add a vector to a collection: the points are copied into a new
        collection, the old one is replaced by it, and the copy removed. While the points are
        copied back the collection holds only part of them: searches may miss some."""
        settings = self._settings(name)
        if settings.lexical is not None:
            return
        rebuilt = CollectionInfo(
            name, settings.embedding_model, settings.dimension, 0, DEFAULT_LEXICAL, settings.fusion
        )
        scratch = f"{name}-shield-reindex"
        indexes = {
            key: index.data_type
            for key, index in self.client.get_collection(name).payload_schema.items()
        }
        encoder = shared_encoder(DEFAULT_LEXICAL)
        with self._locks.held(name):
            total = self.count(name)

            def report(done: int) -> None:  # two copies: there and back
                if progress is not None:
                    progress(done // 2, total)

            if self.client.collection_exists(scratch):
                self.client.delete_collection(scratch)  # from a reindex cut short
            self._create(dataclasses.replace(rebuilt, name=scratch), indexes)
            try:
                self._copy(name, scratch, encoder, report)
            except BaseException:
                self.client.delete_collection(scratch)  # the original is untouched
                raise
            self.client.delete_collection(name)
            self._create(rebuilt, indexes)

            # From here on the job runs to its end: a cancel or a failed report cannot stop it
            # with the collection half copied back.
            def settle(done: int) -> None:
                with contextlib.suppress(Exception):
                    report(total + done)

            self._copy(scratch, name, None, settle)
            self.client.delete_collection(scratch)
            self._settings_cache.pop(name, None)

    def _copy(
        self,
        source: str,
        target: str,
        encoder: LexicalEncoder | None,
        progress: Callable[[int], None],
    ) -> None:
        """Every point of `source` into `target`, its lexical vector computed with `encoder`
        (or copied as it is when None)."""
        offset: Any = None
        done = 0
        while True:
            records, offset = self.client.scroll(
                source, offset=offset, limit=REINDEX_PAGE, with_payload=True, with_vectors=True
            )
            if encoder is not None:
                points = [
                    self._point(
                        PointRecord(str(r.id), dense_part(r.vector), dict(r.payload or {})), encoder
                    )
                    for r in records
                ]
            else:
                points = [
                    models.PointStruct(id=r.id, vector=r.vector or {}, payload=r.payload)
                    for r in records
                ]
            if points:
                self.client.upsert(target, points=points, wait=True)
            done += len(points)
            progress(done)
            if offset is None:
                return

    def scroll(
        self, name: str, where: Sequence[Match] = (), limit: int = 100, with_vectors: bool = False
    ) -> list[ScoredRecord]:
        records, _next = self.client.scroll(
            name,
            scroll_filter=_filter(where),
            limit=limit,
            with_payload=True,
            with_vectors=with_vectors,
        )
        return scrolled(records, with_vectors)

    def count(self, name: str, where: Sequence[Match] = ()) -> int:
        return int(self.client.count(name, count_filter=_filter(where), exact=True).count)

    def facet(
        self, name: str, key: str, limit: int, where: Sequence[Match] = ()
    ) -> dict[Value, int]:
        response = self.client.facet(
            name, key=key, limit=limit, exact=True, facet_filter=_filter(where)
        )
        return {hit.value: int(hit.count) for hit in response.hits}

    def indexed_fields(self, name: str) -> set[str]:
        return set(self.client.get_collection(name).payload_schema)

    def create_index(self, name: str, key: str, kind: str) -> None:
        with self._locks.held(name):
            self.client.create_payload_index(name, key, _SCHEMAS[kind], wait=True)

    def close(self) -> None:
        self.client.close()
