"""A Qdrant server or cluster by URL, through `qdrant-client` (the production option).

The same class runs on `qdrant-client`'s local mode (`path=` or `:memory:`), which is how the
contract tests exercise it where no Qdrant server can run. Collection metadata records the
embedding model and dimension.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from shield.vectorstore.base import (
    DEFAULT_HNSW_EF,
    INTEGER_INDEXES,
    KEYWORD_INDEXES,
    CollectionInfo,
    Match,
    PointRecord,
    ScoredRecord,
    StoreError,
    Value,
    VectorStore,
)


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

    @classmethod
    def from_url(
        cls, url: str, api_key: str | None, timeout: float, hnsw_ef: int = DEFAULT_HNSW_EF
    ) -> QdrantServerStore:
        return cls(QdrantClient(url=url, api_key=api_key, timeout=int(timeout)), hnsw_ef)

    def create_collection(self, name: str, embedding_model: str, dimension: int) -> None:
        self.client.create_collection(
            name,
            vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
            metadata={"embedding_model": embedding_model, "dimension": dimension},
        )
        for key in KEYWORD_INDEXES:
            self.client.create_payload_index(name, key, models.PayloadSchemaType.KEYWORD)
        for key in INTEGER_INDEXES:
            self.client.create_payload_index(name, key, models.PayloadSchemaType.INTEGER)

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
        return CollectionInfo(name, str(meta["embedding_model"]), int(meta["dimension"]), points)

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
        if not self.client.collection_exists(name):
            return False
        return bool(self.client.delete_collection(name))

    def upsert(self, name: str, points: Sequence[PointRecord]) -> None:
        if not points:
            return
        self.client.upsert(
            name,
            points=[
                models.PointStruct(id=p.id, vector=[float(x) for x in p.vector], payload=p.payload)
                for p in points
            ],
            wait=True,
        )

    def delete_points(self, name: str, ids: Sequence[str]) -> None:
        if ids:
            self.client.delete(
                name, points_selector=models.PointIdsList(points=list(ids)), wait=True
            )

    def delete_matching(self, name: str, where: Sequence[Match]) -> None:
        flt = _filter(where)
        if flt is None:
            raise ValueError("refusing to delete every point: give at least one condition")
        self.client.delete(name, points_selector=models.FilterSelector(filter=flt), wait=True)

    def search(
        self, name: str, vector: Sequence[float], limit: int, where: Sequence[Match] = ()
    ) -> list[ScoredRecord]:
        response = self.client.query_points(
            name,
            query=[float(x) for x in vector],
            limit=limit,
            query_filter=_filter(where),
            search_params=self._params,
            with_payload=True,
        )
        return [
            ScoredRecord(str(p.id), float(p.score), dict(p.payload or {})) for p in response.points
        ]

    def scroll(
        self, name: str, where: Sequence[Match] = (), limit: int = 100
    ) -> list[ScoredRecord]:
        records, _next = self.client.scroll(
            name, scroll_filter=_filter(where), limit=limit, with_payload=True
        )
        return [ScoredRecord(str(r.id), 0.0, dict(r.payload or {})) for r in records]

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
        schema = {
            "keyword": models.PayloadSchemaType.KEYWORD,
            "integer": models.PayloadSchemaType.INTEGER,
            "bool": models.PayloadSchemaType.BOOL,
        }[kind]
        self.client.create_payload_index(name, key, schema, wait=True)

    def close(self) -> None:
        self.client.close()
