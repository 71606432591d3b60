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
from shield.fields import Fusion, SearchMode
from shield.vectorstore import Match, PointRecord, StoreError, VectorStore
from shield.vectorstore.base import NoLexicalIndex, StoreQuery
from shield.vectorstore.edge import EdgeVectorStore
from shield.vectorstore.server import QdrantServerStore

DIM = 8
# Passages about different things; two share the rare code XK-4471, one only says "gasket".
TEXTS = [
    "The harbour ferry leaves at eleven for the lighthouse island.",
    "Replace gasket XK-4471 on the north pump before the storm season.",
    "Beekeepers inspect every hive for varroa mites and the queen.",
    "The glacier tongue retreated forty metres since the last survey.",
    "Order XK-4471 spares from the depot when the pump leaks.",
    "Sourdough starter is fed with rye flour twelve hours ahead.",
    "The pump gasket wears out faster in cold water.",
    "Ski rental revenue grew in the third quarter in the Alps.",
    "The violin's spruce top was reglued with warm hide glue.",
    "The tidal turbine produces most power during spring tides.",
]


def dense(vector: list[float], limit: int = 10, where: list[Match] | None = None) -> StoreQuery:
    return StoreQuery(SearchMode.DENSE, vector=vector, limit=limit, where=where or ())


def _passages(seed: int = 5) -> list[PointRecord]:
    rng = np.random.default_rng(seed)
    return [
        PointRecord(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"passage/{i}")),
            vector=rng.standard_normal(DIM).tolist(),
            payload={"document_id": f"doc-{i % 7}", "chunk_index": i, "text": text},
        )
        for i, text in enumerate(TEXTS)
    ]


def _both(tmp_path: Path) -> list[VectorStore]:
    return [
        EdgeVectorStore(tmp_path / "collections"),
        QdrantServerStore(QdrantClient(path=str(tmp_path / "qdrant-local"))),
    ]


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
    hits = store.search("docs", dense(points[7].vector, limit=3))
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
    hits = store.search("docs", dense(_points(1, "doc-1")[0].vector, limit=10, where=only_two))
    assert {h.payload["document_id"] for h in hits} == {"doc-2"}
    assert store.count("docs", [Match("metadata.team", ("t0",))]) == 7
    assert store.count("docs", [Match("chunk_index", (0, 1))]) == 4
    assert len(store.scroll("docs", [Match("chunk_index", (0,))])) == 2


def test_scroll_gives_the_stored_vectors_when_asked(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    points = _points(3, "doc-1")
    store.upsert("docs", points)
    assert all(r.vector is None for r in store.scroll("docs"))
    given = {p.id: np.asarray(p.vector) / np.linalg.norm(p.vector) for p in points}
    for record in store.scroll("docs", with_vectors=True):
        assert record.vector is not None
        # Cosine collections keep vectors at unit length.
        assert np.allclose(record.vector, given[record.id], atol=1e-5)


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


def test_lexical_search_finds_the_exact_rare_token(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    store.upsert("docs", _passages())
    hits = store.search("docs", StoreQuery(SearchMode.LEXICAL, text="part XK-4471", limit=5))
    assert {h.payload["text"] for h in hits[:2]} == {TEXTS[1], TEXTS[4]}
    assert all("XK-4471" in h.payload["text"] for h in hits)  # no other passage has the word
    stemmed = store.search("docs", StoreQuery(SearchMode.LEXICAL, text="gaskets", limit=5))
    assert {h.payload["text"] for h in stemmed} == {TEXTS[1], TEXTS[6]}


@pytest.mark.parametrize("fusion", list(Fusion))
def test_both_backends_rank_every_mode_alike(tmp_path: Path, fusion: Fusion) -> None:
    """The lexical vectors, the IDF and the fusion are Qdrant's on both: same order, same
    scores."""
    points = _passages()
    probe = np.random.default_rng(9).standard_normal(DIM).tolist()
    queries = [
        StoreQuery(SearchMode.DENSE, vector=probe, limit=6),
        StoreQuery(SearchMode.LEXICAL, text="the pump gasket XK-4471", limit=6),
        StoreQuery(SearchMode.HYBRID, vector=probe, text="the pump gasket XK-4471", limit=6),
        StoreQuery(SearchMode.HYBRID, vector=probe, text="pump", limit=3, offset=2),
    ]
    answers = []
    for store in _both(tmp_path):
        store.create_collection("docs", "m", DIM, fusion=fusion)
        store.upsert("docs", points)
        answers.append(
            [[(h.id, round(h.score, 4)) for h in store.search("docs", q)] for q in queries]
        )
        store.close()
    embedded, server = answers
    assert embedded == server
    assert all(embedded)


def test_offset_pages_and_the_threshold_cuts(store: VectorStore) -> None:
    store.ensure_collection("docs", "m", DIM)
    store.upsert("docs", _passages())
    probe = _passages()[3].vector
    for mode in SearchMode:
        whole = store.search("docs", StoreQuery(mode, vector=probe, text="the pump", limit=6))
        page = store.search(
            "docs", StoreQuery(mode, vector=probe, text="the pump", limit=3, offset=2)
        )
        assert [h.id for h in page] == [h.id for h in whole[2:5]], mode
        cut = (whole[1].score + whole[2].score) / 2
        kept = store.search(
            "docs",
            StoreQuery(mode, vector=probe, text="the pump", limit=6, score_threshold=cut),
        )
        assert [h.id for h in kept] == [h.id for h in whole[:2]], mode


def test_a_collection_without_the_lexical_index_is_reindexed_in_place(store: VectorStore) -> None:
    store.create_collection("old", "m", DIM, lexical=None)
    points = _passages()
    store.upsert("old", points)
    store.create_index("old", "metadata.team", "keyword")
    probe = points[2].vector
    before = store.search("old", dense(probe, limit=5))
    with pytest.raises(NoLexicalIndex, match="POST /collections/old/reindex"):
        store.search("old", StoreQuery(SearchMode.LEXICAL, text="pump", limit=5))
    with pytest.raises(NoLexicalIndex):
        store.search("old", StoreQuery(SearchMode.HYBRID, vector=probe, text="pump"))

    progress: list[tuple[int, int]] = []
    store.add_lexical_index("old", lambda done, total: progress.append((done, total)))
    info = store.get_collection("old")
    assert info is not None
    assert (info.lexical is not None, info.points, info.embedding_model) == (True, 10, "m")
    assert progress[-1] == (10, 10)
    after = store.search("old", dense(probe, limit=5))
    assert [(h.id, round(h.score, 5)) for h in after] == [(h.id, round(h.score, 5)) for h in before]
    lexical = store.search("old", StoreQuery(SearchMode.LEXICAL, text="XK-4471", limit=5))
    assert {h.payload["text"] for h in lexical} == {TEXTS[1], TEXTS[4]}
    store.upsert("old", [PointRecord(str(uuid.uuid4()), probe, {"text": "a new XK-4471 note"})])
    assert len(store.search("old", StoreQuery(SearchMode.LEXICAL, text="XK-4471"))) == 3
    if store.backend == "embedded":
        assert "metadata.team" in store.indexed_fields("old")
    store.add_lexical_index("old")  # again: nothing to do
    assert store.count("old") == 11


def test_an_interrupted_reindex_leaves_the_collection_as_it_was(tmp_path: Path) -> None:
    store = EdgeVectorStore(tmp_path / "collections")
    store.create_collection("old", "m", DIM, lexical=None)
    store.upsert("old", _passages())
    store.close()
    shard = tmp_path / "collections" / "old" / "shard"
    # Cut short after the first rename: only the old shard, under its interim name, is left.
    shard.rename(shard.with_name("shard.old"))
    (shard.with_name("shard.reindex")).mkdir()
    again = EdgeVectorStore(tmp_path / "collections")
    assert again.count("old") == 10
    again.add_lexical_index("old")
    assert len(again.search("old", StoreQuery(SearchMode.LEXICAL, text="XK-4471"))) == 2
    assert sorted(p.name for p in shard.parent.iterdir()) == ["collection.json", "shard"]
    again.close()


def test_a_query_of_stopwords_alone_finds_nothing_lexically_and_hybrid_still_answers(
    store: VectorStore,
) -> None:
    store.ensure_collection("docs", "m", DIM)
    store.upsert("docs", _passages())
    probe = _passages()[0].vector
    assert store.search("docs", StoreQuery(SearchMode.LEXICAL, text="the of and", limit=3)) == []
    hybrid = store.search(
        "docs", StoreQuery(SearchMode.HYBRID, vector=probe, text="the of and", limit=3)
    )
    assert hybrid[0].id == _passages()[0].id  # the dense ranking alone decides


def test_a_reindex_stopped_half_way_leaves_the_collection_as_it_was(store: VectorStore) -> None:
    store.create_collection("old", "m", DIM, lexical=None)
    store.upsert("old", _points(700, "doc-1"))  # more than one page of the copy

    class Stop(Exception):
        pass

    def stop_after_the_first_page(done: int, total: int) -> None:
        if done < total:
            raise Stop

    with pytest.raises(Stop):
        store.add_lexical_index("old", stop_after_the_first_page)
    info = store.get_collection("old")
    assert info is not None
    assert (info.lexical, info.points) == (None, 700)
    assert [c.name for c in store.list_collections()] == ["old"]  # no scratch copy is left
    if isinstance(store, EdgeVectorStore):
        assert not (store.root / "old" / "shard.reindex").exists()
    store.add_lexical_index("old")  # and it can be done again, to the end
    assert store.count("old") == 700
    assert store.get_collection("old").lexical is not None  # type: ignore[union-attr]
