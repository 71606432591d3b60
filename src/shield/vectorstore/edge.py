"""The embedded default: one Qdrant Edge shard per collection, on local disk, in this process.

Qdrant Edge is the real Qdrant engine (HNSW, payload indexes, WAL) as a library; see
docs/adr/0001-embedded-vector-store.md for why it is the default. Layout:

    <root>/.lock                              held while this process owns the store
    <root>/<collection>/collection.json       embedding model, dimension, search settings
    <root>/<collection>/shard/                the Qdrant Edge shard
    <root>/<collection>/shard.reindex/        the shard being rebuilt with a lexical index
    <root>/<collection>/shard.indexing/       a copy of the shard whose HNSW index is being built
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import qdrant_edge as qe

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
from shield.vectorstore.indexbuild import IndexBuild
from shield.vectorstore.lexical import (
    DEFAULT_LEXICAL,
    LEXICAL_VECTOR,
    LexicalConfig,
    LexicalEncoder,
    SparseTerms,
    encoder_for,
    shared_encoder,
)

META_FILE = "collection.json"
SHARD, REBUILT, REPLACED, BUILDING = "shard", "shard.reindex", "shard.old", "shard.indexing"
JOURNAL_LIMIT = 10_000
_FUSION = {Fusion.DBSF: qe.Fusion.Dbsf(), Fusion.RRF: qe.Fusion.Rrf(k=60)}
_SCHEMAS = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "integer": qe.PayloadSchemaType.Integer,
    "bool": qe.PayloadSchemaType.Bool,
}


def _sparse(terms: SparseTerms) -> qe.SparseVector:
    return qe.SparseVector(list(terms.indices), list(terms.values))


def _config(dimension: int, lexical: LexicalConfig | None) -> qe.EdgeConfig:
    sparse = {LEXICAL_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)}
    return qe.EdgeConfig(
        vectors=qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine),
        sparse_vectors=sparse if lexical else None,
    )


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


@dataclass
class _Journal:
    """The writes to a collection since its shard was copied for an index build, to apply to
    the built copy too; past JOURNAL_LIMIT of them the build is dropped (and tried again once
    writes are quiet) rather than holding them all in memory."""

    operations: list[qe.UpdateOperation] = field(default_factory=list)
    overflowed: bool = False

    def add(self, operation: qe.UpdateOperation) -> None:
        if len(self.operations) >= JOURNAL_LIMIT:
            self.overflowed = True
            self.operations.clear()
        elif not self.overflowed:
            self.operations.append(operation)


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
        self._locks = WriteLocks()
        self._written: dict[str, int] = {}  # points upserted since the index was last built
        # Per collection whose index is being built: the writes made since its shard was copied.
        self._journals: dict[str, _Journal] = {}
        self._build: IndexBuild | None = None
        self._guard = threading.RLock()

    # -- collections -------------------------------------------------------------------------

    def _dir(self, name: str) -> Path:
        return self.root / name

    def create_collection(
        self,
        name: str,
        embedding_model: str,
        dimension: int,
        lexical: LexicalConfig | None = DEFAULT_LEXICAL,
        fusion: Fusion = DEFAULT_FUSION,
    ) -> None:
        with self._guard:
            directory = self._dir(name)
            if (directory / META_FILE).exists():
                raise StoreError(f"collection {name!r} already exists")
            shard = qe.EdgeShard.create(str(directory / SHARD), _config(dimension, lexical))
            for key in KEYWORD_INDEXES:
                shard.update(qe.UpdateOperation.create_field_index(key, _SCHEMAS["keyword"]))
            for key in INTEGER_INDEXES:
                shard.update(qe.UpdateOperation.create_field_index(key, _SCHEMAS["integer"]))
            shard.flush()
            info = CollectionInfo(name, embedding_model, dimension, 0, lexical, fusion)
            self._write_meta(info)  # the collection exists once this file does
            self._shards[name] = shard

    def _write_meta(self, info: CollectionInfo) -> None:
        directory = self._dir(info.name)
        tmp = directory / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(info.settings()))
        tmp.replace(directory / META_FILE)
        self._meta[info.name] = info

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
                directory = self._dir(name)
                if not (directory / SHARD).exists() and (directory / REPLACED).exists():
                    (directory / REPLACED).rename(directory / SHARD)  # a swap was cut short
                shutil.rmtree(directory / BUILDING, ignore_errors=True)  # an index build, too
                try:
                    shard = qe.EdgeShard.load(str(directory / SHARD))
                except Exception as exc:
                    raise StoreError(f"cannot open collection {name!r}: {exc}") from exc
                self._shards[name] = shard
            return shard

    def _settings(self, name: str) -> CollectionInfo:
        """The collection's recorded settings (its point count left at 0)."""
        info = self._meta.get(name)
        if info is None:
            meta = self._read_meta(name)
            if meta is None:
                raise StoreError(f"collection {name!r} does not exist")
            info = self._meta[name] = CollectionInfo.from_settings(name, meta, 0)
        return info

    def get_collection(self, name: str) -> CollectionInfo | None:
        meta = self._read_meta(name)
        if meta is None:
            return None
        points = self._shard(name).count(qe.CountRequest(exact=True))
        return CollectionInfo.from_settings(name, meta, points)

    def list_collections(self) -> list[CollectionInfo]:
        names = sorted(p.parent.name for p in self.root.glob(f"*/{META_FILE}"))
        return [info for name in names if (info := self.get_collection(name)) is not None]

    def delete_collection(self, name: str) -> bool:
        with self._guard:
            if self._read_meta(name) is None:
                return False
            if self._build is not None and self._build.shard_dir.parent == self._dir(name):
                self._build.cancel()  # it writes into the folder about to be removed
            shard = self._shards.pop(name, None)
            if shard is not None:
                shard.close()
            self._meta.pop(name, None)
            self._written.pop(name, None)
            (self._dir(name) / META_FILE).unlink()
            shutil.rmtree(self._dir(name))
            return True

    def check_in_backups(self) -> None:
        """The embedded store is: its collections are files on this host."""

    def snapshot_collection(self, name: str, target: Path) -> int:
        """The shard's own files, flushed and copied with the collection's writes held off
        (Qdrant Edge reads snapshots but does not write them); its settings beside them."""
        with self._locks.held(name):
            shard = self._shard(name)
            shard.flush()
            target.mkdir(parents=True)
            shutil.copy2(self._dir(name) / META_FILE, target / META_FILE)
            shutil.copytree(self._dir(name) / SHARD, target / SHARD)
            return int(shard.count(qe.CountRequest(exact=True)))

    def restore_collection(self, name: str, source: Path) -> int:
        """Copied in beside the live collections, opened to prove the engine reads it, then
        renamed into place: a failure leaves no collection behind."""
        with self._guard:
            if self._dir(name).exists():
                raise StoreError(f"collection {name!r} exists already")
            meta = json.loads((source / META_FILE).read_text())
            incoming = self.root / f".{name}.restoring"
            shutil.rmtree(incoming, ignore_errors=True)
            try:
                shutil.copytree(source / SHARD, incoming / SHARD)
                shard = qe.EdgeShard.load(str(incoming / SHARD))
                points = int(shard.count(qe.CountRequest(exact=True)))
                shard.close()
                incoming.rename(self._dir(name))
                self._write_meta(CollectionInfo.from_settings(name, meta, 0))  # now it exists
            except Exception as exc:
                shutil.rmtree(incoming, ignore_errors=True)
                shutil.rmtree(self._dir(name), ignore_errors=True)
                self._meta.pop(name, None)
                raise StoreError(f"cannot restore collection {name!r}: {exc}") from exc
            return points

    # -- points ------------------------------------------------------------------------------

    def _point(self, point: PointRecord, encoder: LexicalEncoder | None) -> qe.Point:
        dense = [float(x) for x in point.vector]
        if encoder is None:
            return qe.Point(uuid.UUID(point.id), dense, point.payload)
        lexical = _sparse(encoder.document(str(point.payload.get("text", ""))))
        return qe.Point(uuid.UUID(point.id), {"": dense, LEXICAL_VECTOR: lexical}, point.payload)

    def upsert(self, name: str, points: Sequence[PointRecord]) -> None:
        if not points:
            return
        encoder = encoder_for(self._settings(name).lexical)
        batch = [self._point(p, encoder) for p in points]
        with self._locks.held(name):
            self._apply(name, qe.UpdateOperation.upsert_points(batch))
        with self._guard:
            self._written[name] = self._written.get(name, 0) + len(batch)

    def _apply(self, name: str, operation: qe.UpdateOperation) -> None:
        """A write, with the collection's write lock held; kept for an index being built."""
        self._shard(name).update(operation)
        journal = self._journals.get(name)
        if journal is not None:
            journal.add(operation)

    def delete_points(self, name: str, ids: Sequence[str]) -> None:
        if ids:
            with self._locks.held(name):
                self._apply(name, qe.UpdateOperation.delete_points([uuid.UUID(i) for i in ids]))

    def delete_matching(self, name: str, where: Sequence[Match]) -> None:
        flt = _filter(where)
        if flt is None:
            raise ValueError("refusing to delete every point: give at least one condition")
        with self._locks.held(name):
            self._apply(name, qe.UpdateOperation.delete_points_by_filter(flt))

    def search(self, name: str, query: StoreQuery) -> list[ScoredRecord]:
        encoder = (
            encoder_for(self._settings(name).lexical) if query.mode != SearchMode.DENSE else None
        )
        if query.mode != SearchMode.DENSE and encoder is None:
            raise NoLexicalIndex(name)
        dense = lexical = None
        if query.vector is not None:
            dense = qe.Query.Nearest([float(x) for x in query.vector])
        if encoder is not None:
            lexical = qe.Query.Nearest(_sparse(encoder.query(query.text or "")), LEXICAL_VECTOR)
        flt = _filter(query.where)
        prefetches = None
        scoring: Any = dense if query.mode == SearchMode.DENSE else lexical
        if query.mode == SearchMode.HYBRID:
            depth = max(PREFETCH, query.offset + query.limit)
            prefetches = [
                qe.Prefetch(limit=depth, query=dense, filter=flt, params=self._params),
                qe.Prefetch(limit=depth, query=lexical, filter=flt),
            ]
            scoring = _FUSION[self._settings(name).fusion]
        request = qe.QueryRequest(
            limit=query.limit,
            offset=query.offset,
            query=scoring,
            prefetches=prefetches,
            filter=flt,
            score_threshold=query.score_threshold,
            with_payload=True,
            params=self._params,
        )
        return [
            ScoredRecord(str(hit.id), float(hit.score), dict(hit.payload or {}))
            for hit in self._shard(name).query(request)
        ]

    def _copy_into(
        self,
        old: qe.EdgeShard,
        new: qe.EdgeShard,
        encoder: LexicalEncoder,
        progress: Progress | None,
    ) -> int:
        """Every point of `old` into `new`, page by page, with its lexical vector; the payload
        indexes too. Returns how many points were copied."""
        for key, index in old.info().payload_schema.items():
            new.update(qe.UpdateOperation.create_field_index(key, index.data_type))
        total = int(old.count(qe.CountRequest(exact=True)))
        done, offset = 0, None
        while True:
            records, offset = old.scroll(
                qe.ScrollRequest(
                    offset=offset, limit=REINDEX_PAGE, with_payload=True, with_vector=True
                )
            )
            points = [
                self._point(
                    PointRecord(str(r.id), dense_part(r.vector), dict(r.payload or {})), encoder
                )
                for r in records
            ]
            if points:
                new.update(qe.UpdateOperation.upsert_points(points))
            done += len(points)
            if progress is not None:
                progress(done, total)
            if offset is None:
                return done

    def add_lexical_index(self, name: str, progress: Progress | None = None) -> None:
        settings = self._settings(name)
        if settings.lexical is not None:
            return
        lexical = DEFAULT_LEXICAL
        encoder = shared_encoder(lexical)
        directory = self._dir(name)
        with self._locks.held(name):
            old = self._shard(name)
            shutil.rmtree(directory / REBUILT, ignore_errors=True)  # from a reindex cut short
            new = qe.EdgeShard.create(
                str(directory / REBUILT), _config(settings.dimension, lexical)
            )
            try:
                copied = self._copy_into(old, new, encoder, progress)
            except BaseException:
                new.close()  # stopped (a cancel, a failure): the old shard is untouched
                shutil.rmtree(directory / REBUILT, ignore_errors=True)
                raise
            # Not optimized here: building the index holds the GIL and would stall shield-api;
            # its background indexer does it when writes are quiet, as after any bulk load.
            new.flush()
            new.close()
            with self._guard:
                # Swapped while nothing else opens the shard; a crash between the two renames
                # leaves shard.old, which _shard() puts back.
                self._shards.pop(name).close()
                (directory / SHARD).rename(directory / REPLACED)
                (directory / REBUILT).rename(directory / SHARD)
                self._write_meta(
                    CollectionInfo(
                        name,
                        settings.embedding_model,
                        settings.dimension,
                        0,
                        lexical,
                        settings.fusion,
                    )
                )
                shutil.rmtree(directory / REPLACED)
                self._written[name] = copied  # the rebuilt shard has no HNSW index yet

    def scroll(
        self, name: str, where: Sequence[Match] = (), limit: int = 100, with_vectors: bool = False
    ) -> list[ScoredRecord]:
        records, _next = self._shard(name).scroll(
            qe.ScrollRequest(
                limit=limit, filter=_filter(where), with_payload=True, with_vector=with_vectors
            )
        )
        return scrolled(records, with_vectors)

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
        with self._locks.held(name):
            self._apply(name, qe.UpdateOperation.create_field_index(key, _SCHEMAS[kind]))

    # -- maintenance -------------------------------------------------------------------------

    def pending_index_points(self) -> int:
        with self._guard:
            names = list(self._shards)
        return sum(self._pending(name) for name in names)

    def _pending(self, name: str) -> int:
        """Dense vectors of a collection not yet in an HNSW index. The shard's own count cannot
        tell: it counts the lexical vectors as indexed too (they always are). So a collection with
        the lexical index counts the points written since its index was last built; after a
        restart it starts from what the shard can say, which leaves it at 0 until written to."""
        if self._settings(name).lexical is not None:
            with self._guard:
                return self._written.get(name, 0)
        info = self._shard(name).info()
        return max(0, info.points_count - info.indexed_vectors_count)

    def optimize(self) -> None:
        """Build the HNSW index of every open collection that has points waiting for it, each
        in a child process (`indexbuild`), while this one keeps searching and writing."""
        with self._guard:
            names = list(self._shards)
        for name in names:
            if self._pending(name) > 0:
                self._build_index(name)

    def _build_index(self, name: str) -> None:
        directory = self._dir(name)
        building = directory / BUILDING
        with self._locks.held(name):
            with self._guard:
                shard = self._shards.get(name)
                if shard is None:  # deleted meanwhile
                    return
                written = self._written.get(name, 0)
            shutil.rmtree(building, ignore_errors=True)
            shard.flush()
            shutil.copytree(directory / SHARD, building)
            journal = self._journals[name] = _Journal()
        try:
            build = IndexBuild(building)
            with self._guard:
                self._build = build
            try:
                build.wait()
            except StoreError:
                with self._guard:
                    if self._shards.get(name) is not shard:
                        return  # deleted or closed meanwhile, which stopped the build
                raise
            with self._locks.held(name):
                self._swap_built(name, shard, journal, written)
        finally:
            with self._locks.held(name):
                self._journals.pop(name, None)
            with self._guard:
                self._build = None
            shutil.rmtree(building, ignore_errors=True)

    def _swap_built(self, name: str, copied: qe.EdgeShard, journal: _Journal, written: int) -> None:
        """Put the built copy in place of the shard it was copied from, with the writes made
        since; the caller holds the collection's write lock."""
        with self._guard:
            if self._shards.get(name) is not copied:
                return  # deleted, reindexed or closed meanwhile: the copy is out of date
        if journal.overflowed:
            raise StoreError(
                f"collection {name!r} took over {JOURNAL_LIMIT} writes while its index was "
                "built; the build is dropped and tried again once writes are quiet"
            )
        directory = self._dir(name)
        if journal.operations:  # the usual build, after writes went quiet, has none
            built = qe.EdgeShard.load(str(directory / BUILDING))
            try:
                for operation in journal.operations:  # in their order: as on the live shard
                    built.update(operation)
                built.flush()
            finally:
                built.close()
        with self._guard:
            if self._shards.get(name) is not copied:
                return  # the store closed meanwhile
            # A crash between the two renames leaves shard.old, which _shard() puts back; one
            # before them leaves the live shard as it was, with every write.
            self._shards.pop(name).close()
            (directory / SHARD).rename(directory / REPLACED)
            (directory / BUILDING).rename(directory / SHARD)
            self._shards[name] = qe.EdgeShard.load(str(directory / SHARD))
            shutil.rmtree(directory / REPLACED)
            # What was written during the build is in the shard but not yet in its index.
            self._written[name] = max(0, self._written.get(name, 0) - written)

    def close(self) -> None:
        with self._guard:
            if self._build is not None:
                self._build.cancel()
            for shard in self._shards.values():
                shard.flush()
                shard.close()
            self._shards.clear()
            if not self._lock_file.closed:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()
