"""The embedded store builds a collection's HNSW index in a child process, on a copy, and swaps
it in: this process keeps searching and writing meanwhile, and nothing written is lost."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from shield.fields import SearchMode
from shield.vectorstore import Match, PointRecord, StoreError
from shield.vectorstore.base import StoreQuery
from shield.vectorstore.edge import BUILDING, EdgeVectorStore
from shield.vectorstore.indexbuild import IndexBuild

DIMENSION = 384
POINTS = 8000  # above the ~10 MB of vectors under which Qdrant leaves a segment unindexed


def _points(count: int, seed: int, **payload: object) -> list[PointRecord]:
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSION)).astype(np.float32)
    return [
        PointRecord(str(uuid.uuid4()), v.tolist(), {"text": f"passage {i}", **payload})
        for i, v in enumerate(vectors)
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EdgeVectorStore]:
    store = EdgeVectorStore(tmp_path)
    store.create_collection("docs", "m", DIMENSION)
    points = _points(POINTS, seed=1, batch="first")
    for start in range(0, POINTS, 1000):
        store.upsert("docs", points[start : start + 1000])
    yield store
    store.close()


def _during_build(monkeypatch: pytest.MonkeyPatch, action: Callable[[IndexBuild], None]) -> None:
    """Run `action` while the child process builds (after the copy, before the swap)."""
    wait = IndexBuild.wait

    def wait_after_action(build: IndexBuild, timeout: float = 3600.0) -> None:
        action(build)
        wait(build, timeout)

    monkeypatch.setattr(IndexBuild, "wait", wait_after_action)


def _nearest(store: EdgeVectorStore, point: PointRecord) -> str:
    query = StoreQuery(SearchMode.DENSE, vector=list(point.vector), limit=1)
    return store.search("docs", query)[0].id


def test_searches_answer_while_the_child_builds_the_index(
    store: EdgeVectorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = _points(1, seed=1)[0]  # the fixture's first vector, under another id
    answered_while_building: list[float] = []
    searchers: list[threading.Thread] = []

    def search_meanwhile(build: IndexBuild) -> None:
        def searcher() -> None:
            while build.running():
                start = time.perf_counter()
                _nearest(store, probe)
                if build.running():
                    answered_while_building.append(time.perf_counter() - start)

        searchers.append(threading.Thread(target=searcher))
        searchers[0].start()

    _during_build(monkeypatch, search_meanwhile)
    store.optimize()
    searchers[0].join()
    # Run in this process, optimize() held the GIL throughout: not one search finished.
    assert answered_while_building, "no search finished while the index was being built"
    assert store.pending_index_points() == 0
    assert store._shard("docs").info().indexed_vectors_count >= POINTS
    assert not (store.root / "docs" / BUILDING).exists()


def test_writes_made_during_the_build_are_kept(
    store: EdgeVectorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store.scroll("docs", limit=2)
    late = _points(50, seed=2, batch="late")

    def write_meanwhile(_build: IndexBuild) -> None:
        store.upsert("docs", late)
        store.delete_points("docs", [first[0].id])
        store.delete_matching("docs", [Match("document_id", ("never-stored",))])
        store.create_index("docs", "batch", "keyword")

    _during_build(monkeypatch, write_meanwhile)
    store.optimize()
    assert store.count("docs") == POINTS + 50 - 1
    assert store.count("docs", [Match("batch", ("late",))]) == 50
    assert {r.id for r in store.scroll("docs", [Match("batch", ("late",))], limit=100)} == {
        p.id for p in late
    }
    assert first[0].id not in {r.id for r in store.scroll("docs", limit=POINTS + 100)}
    assert "batch" in store.indexed_fields("docs")
    assert _nearest(store, late[7]) == late[7].id
    assert store.pending_index_points() == 50  # written during the build: for the next one
    store.close()
    reopened = EdgeVectorStore(store.root)  # and all of it is on disk
    assert reopened.count("docs") == POINTS + 50 - 1
    reopened.close()


def test_a_failed_build_leaves_the_collection_as_it_was(
    store: EdgeVectorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def break_the_copy(build: IndexBuild) -> None:
        build.cancel()  # as if the child died

    _during_build(monkeypatch, break_the_copy)
    with pytest.raises(StoreError, match="was stopped"):
        store.optimize()
    assert store.count("docs") == POINTS
    assert store.pending_index_points() == POINTS  # still waiting: the indexer tries again
    assert not (store.root / "docs" / BUILDING).exists()
    store.upsert("docs", _points(1, seed=3))  # writes are not left recorded for a dead build
    assert store._journals == {}


def test_a_collection_deleted_during_the_build_stays_deleted(
    store: EdgeVectorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _during_build(monkeypatch, lambda _build: store.delete_collection("docs"))
    store.optimize()
    assert store.get_collection("docs") is None
    assert not (store.root / "docs").exists()


def test_a_build_cut_short_by_a_crash_is_cleared_when_the_collection_opens(
    store: EdgeVectorStore,
) -> None:
    root = store.root
    store.close()
    leftover = root / "docs" / BUILDING
    leftover.mkdir()
    (leftover / "segments").mkdir()
    reopened = EdgeVectorStore(root)
    assert reopened.count("docs") == POINTS
    assert not leftover.exists()
    reopened.close()
