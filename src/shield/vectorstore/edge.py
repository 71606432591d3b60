"""The embedded default: one Qdrant Edge shard per collection, on local disk, in this process.

Qdrant Edge is the real Qdrant engine (HNSW, payload indexes, WAL) as a library; see
docs/adr/0001-embedded-vector-store.md for why it is the default. Layout:

    <root>/.lock                              held while this process owns the store
    <root>/<collection>/collection.json       embedding model and dimension
    <root>/<collection>/shard/                the Qdrant Edge shard
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

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

META_FILE = "collection.json"


def _filter(where: Sequence[Match]) -> qe.Filter | None:
    if not where:
        return None
    conditions: list[Any] = []
    for match in where:
        values = list(match.values)
        if len(values) == 1:
            conditions.append(qe.FieldCondition(key=match.key, match=qe.MatchValue(values[0])))
        else:
            conditions.append(
                qe.FieldCondition(key=match.key, match=qe.MatchAny(values))  # type: ignore[arg-type]
            )
    return qe.Filter(must=conditions)


class EdgeVectorStore(VectorStore):
    backend = "embedded"

    def __init__(self, root: Path, hnsw_ef: int = DEFAULT_HNSW_EF) -> None:
        self.root = root
        self._params = qe.SearchParams(hnsw_ef=hnsw_ef)
        root.mkdir(parents=True, exist_ok=True)
        self._lock_file = (root / ".lock").open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreError(
                f"the vector store in {root} is open in another process; only shield-api may "
                "open it (stop the other process, or point SHIELD_DATA_DIR elsewhere)"
            ) from None
        self._lock_file.write(str(os.getpid()))
        self._lock_file.flush()
        self._shards: dict[str, qe.EdgeShard] = {}
        self._meta: dict[str, CollectionInfo] = {}
        self._guard = threading.RLock()

    # -- collections -------------------------------------------------------------------------

    def _dir(self, name: str) -> Path:
        return self.root / name

    def create_collection(self, name: str, embedding_model: str, dimension: int) -> None:
        with self._guard:
            directory = self._dir(name)
            if (directory / META_FILE).exists():
                raise StoreError(f"collection {name!r} already exists")
            config = qe.EdgeConfig(
                vectors=qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)
            )
            shard = qe.EdgeShard.create(str(directory / "shard"), config)
            for key in KEYWORD_INDEXES:
                shard.update(
                    qe.UpdateOperation.create_field_index(key, qe.PayloadSchemaType.Keyword)
                )
            for key in INTEGER_INDEXES:
                shard.update(
                    qe.UpdateOperation.create_field_index(key, qe.PayloadSchemaType.Integer)
                )
            shard.flush()
            meta = {"embedding_model": embedding_model, "dimension": dimension}
            tmp = directory / (META_FILE + ".tmp")
            tmp.write_text(json.dumps(meta))
            tmp.replace(directory / META_FILE)  # the collection exists once this file does
            self._shards[name] = shard

    def _read_meta(self, name: str) -> dict[str, Any] | None:
        path = self._dir(name) / META_FILE
        if not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _shard(self, name: str) -> qe.EdgeShard:
        with self._guard:
            shard = self._shards.get(name)
            if shard is None:
                if self._read_meta(name) is None:
                    raise StoreError(f"collection {name!r} does not exist")
                try:
                    shard = qe.EdgeShard.load(str(self._dir(name) / "shard"))
                except Exception as exc:
                    raise StoreError(f"cannot open collection {name!r}: {exc}") from exc
                self._shards[name] = shard
            return shard

    def get_collection(self, name: str) -> CollectionInfo | None:
        meta = self._read_meta(name)
        if meta is None:
            return None
        points = self._shard(name).count(qe.CountRequest(exact=True))
        return CollectionInfo(name, str(meta["embedding_model"]), int(meta["dimension"]), points)

    def list_collections(self) -> list[CollectionInfo]:
        names = sorted(p.parent.name for p in self.root.glob(f"*/{META_FILE}"))
        return [info for name in names if (info := self.get_collection(name)) is not None]

    def delete_collection(self, name: str) -> bool:
        with self._guard:
            if self._read_meta(name) is None:
                return False
            shard = self._shards.pop(name, None)
            if shard is not None:
                shard.close()
            (self._dir(name) / META_FILE).unlink()
            shutil.rmtree(self._dir(name))
            return True

    # -- points ------------------------------------------------------------------------------

    def upsert(self, name: str, points: Sequence[PointRecord]) -> None:
        if not points:
            return
        batch = [qe.Point(uuid.UUID(p.id), [float(x) for x in p.vector], p.payload) for p in points]
        self._shard(name).update(qe.UpdateOperation.upsert_points(batch))

    def delete_points(self, name: str, ids: Sequence[str]) -> None:
        if ids:
            self._shard(name).update(qe.UpdateOperation.delete_points([uuid.UUID(i) for i in ids]))

    def delete_matching(self, name: str, where: Sequence[Match]) -> None:
        flt = _filter(where)
        if flt is None:
            raise ValueError("refusing to delete every point: give at least one condition")
        self._shard(name).update(qe.UpdateOperation.delete_points_by_filter(flt))

    def search(
        self, name: str, vector: Sequence[float], limit: int, where: Sequence[Match] = ()
    ) -> list[ScoredRecord]:
        request = qe.QueryRequest(
            limit=limit,
            query=qe.Query.Nearest([float(x) for x in vector]),
            filter=_filter(where),
            with_payload=True,
            params=self._params,
        )
        return [
            ScoredRecord(str(hit.id), float(hit.score), dict(hit.payload or {}))
            for hit in self._shard(name).query(request)
        ]

    def scroll(
        self, name: str, where: Sequence[Match] = (), limit: int = 100
    ) -> list[ScoredRecord]:
        records, _next = self._shard(name).scroll(
            qe.ScrollRequest(limit=limit, filter=_filter(where), with_payload=True)
        )
        return [ScoredRecord(str(r.id), 0.0, dict(r.payload or {})) for r in records]

    def count(self, name: str, where: Sequence[Match] = ()) -> int:
        return int(self._shard(name).count(qe.CountRequest(filter=_filter(where), exact=True)))

    def facet(
        self, name: str, key: str, limit: int, where: Sequence[Match] = ()
    ) -> dict[Value, int]:
        response = self._shard(name).facet(
            qe.FacetRequest(key=key, limit=limit, exact=True, filter=_filter(where))
        )
        return {hit.value: int(hit.count) for hit in response.hits}

    def indexed_fields(self, name: str) -> set[str]:
        return set(self._shard(name).info().payload_schema)

    def create_index(self, name: str, key: str, kind: str) -> None:
        schema = {
            "keyword": qe.PayloadSchemaType.Keyword,
            "integer": qe.PayloadSchemaType.Integer,
            "bool": qe.PayloadSchemaType.Bool,
        }[kind]
        self._shard(name).update(qe.UpdateOperation.create_field_index(key, schema))

    # -- maintenance -------------------------------------------------------------------------

    def pending_index_points(self) -> int:
        with self._guard:
            shards = list(self._shards.values())
        total = 0
        for shard in shards:
            info = shard.info()
            total += max(0, info.points_count - info.indexed_vectors_count)
        return total

    def optimize(self) -> None:
        with self._guard:
            shards = list(self._shards.values())
        for shard in shards:
            shard.optimize()

    def close(self) -> None:
        with self._guard:
            for shard in self._shards.values():
                shard.flush()
                shard.close()
            self._shards.clear()
            if not self._lock_file.closed:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()
