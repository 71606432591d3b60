"""One contract, run against every vector store backend: the embedded Qdrant Edge store and
qdrant-client (here in its local mode, the same code path that talks to a Qdrant server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from shield.errors import Conflict
from shield.vectorstore import Match, PointRecord, StoreError, VectorStore
from shield.vectorstore.edge import EdgeVectorStore
from shield.vectorstore.server import QdrantServerStore

DIM = 8


@pytest.fixture(params=["embedded", "qdrant"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    backend: VectorStore
    if request.param == "embedded":
        backend = EdgeVectorStore(tmp_path / "collections")
    else:
        backend = QdrantServerStore(QdrantClient(path=str(tmp_path / "qdrant-local")))
    yield backend
    backend.close()


def _points(n: int, document: str, seed: int = 0) -> list[PointRecord]:
    rng = np.random.default_rng(seed)
    return [
        PointRecord(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{document}/{i}")),
            vector=rng.standard_normal(DIM).tolist(),
            payload={"document_id": document, "chunk_index": i, "metadata": {"team": f"t{i % 2}"}},
        )
        for i in range(n)
    ]


def test_collection_records_model_and_dimension(store: VectorStore) -> None:
    assert store.get_collection("docs") is None
    info = store.ensure_collection("docs", "model-a", DIM)
    assert (info.name, info.embedding_model, info.dimension, info.points) == (
        "docs",
        "model-a",
        8,
        0,
    )
    assert [c.name for c in store.list_collections()] == ["docs"]


def test_other_model_or_dimension_is_refused(store: VectorStore) -> None:
    store.ensure_collection("docs", "model-a", DIM)
    with pytest.raises(Conflict, match="model-a"):
        store.ensure_collection("docs", "model-b", DIM)
    with pytest.raises(Conflict, match="8 dimensions"):
        store.ensure_collection("docs", "model-a", 16)


def test_search_returns_nearest_first_with_payload(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    points = _points(20, "doc-1")
    store.upsert("docs", points)
    hits = store.search("docs", points[7].vector, limit=3)
    assert hits[0].id == points[7].id
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert hits[0].payload["chunk_index"] == 7
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(hits) == 3


def test_filters_restrict_search_count_and_scroll(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    store.upsert("docs", _points(10, "doc-1") + _points(4, "doc-2", seed=1))
    only_two = [Match("document_id", ("doc-2",))]
    assert store.count("docs") == 14
    assert store.count("docs", only_two) == 4
    hits = store.search("docs", _points(1, "doc-1")[0].vector, limit=10, where=only_two)
    assert {h.payload["document_id"] for h in hits} == {"doc-2"}
    assert store.count("docs", [Match("metadata.team", ("t0",))]) == 7
    assert store.count("docs", [Match("chunk_index", (0, 1))]) == 4
    assert len(store.scroll("docs", [Match("chunk_index", (0,))])) == 2


def test_upsert_same_id_replaces(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    points = _points(3, "doc-1")
    store.upsert("docs", points)
    changed = PointRecord(points[0].id, points[0].vector, {**points[0].payload, "text": "new"})
    store.upsert("docs", [changed])
    assert store.count("docs") == 3
    assert store.scroll("docs", [Match("chunk_index", (0,))])[0].payload["text"] == "new"


def test_delete_by_id_and_by_filter(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    store.upsert("docs", _points(5, "doc-1") + _points(5, "doc-2", seed=2))
    store.delete_points("docs", [_points(5, "doc-1")[4].id])
    assert store.count("docs", [Match("document_id", ("doc-1",))]) == 4
    store.delete_matching("docs", [Match("document_id", ("doc-2",))])
    assert store.count("docs") == 4
    with pytest.raises(ValueError, match="every point"):
        store.delete_matching("docs", [])


def test_facet_counts_points_per_document(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    store.upsert("docs", _points(3, "doc-1") + _points(5, "doc-2", seed=3))
    assert store.facet("docs", "document_id", limit=10) == {"doc-1": 3, "doc-2": 5}


def test_delete_collection(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    assert store.delete_collection("docs") is True
    assert store.get_collection("docs") is None
    assert store.delete_collection("docs") is False


def test_collections_are_isolated(store: VectorStore) -> None:
    store.ensure_collection("a", "m", DIM)
    store.ensure_collection("b", "m", DIM)
    store.upsert("a", _points(2, "doc"))
    assert (store.count("a"), store.count("b")) == (2, 0)


def test_embedded_store_survives_reopen_and_refuses_a_second_owner(tmp_path: Path) -> None:
    first = EdgeVectorStore(tmp_path / "collections")
    first.ensure_collection("docs", "m", DIM)
    first.upsert("docs", _points(6, "doc-1"))
    with pytest.raises(StoreError, match="another process"):
        EdgeVectorStore(tmp_path / "collections")
    first.close()
    again = EdgeVectorStore(tmp_path / "collections")
    assert again.count("docs") == 6
    assert again.get_collection("docs") is not None
    again.close()


def test_payload_indexes_on_demand(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    store.upsert("docs", _points(6, "doc-1"))
    store.create_index("docs", "metadata.team", "keyword")
    assert store.count("docs", [Match("metadata.team", ("t1",))]) == 3
    if store.backend == "embedded":  # qdrant-client's local mode keeps no payload indexes
        assert {"document_id", "source", "chunk_index", "metadata.team"} <= store.indexed_fields(
            "docs"
        )
