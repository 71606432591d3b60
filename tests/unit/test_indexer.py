"""The embedded store builds its index in the background only once writes have gone quiet."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from shield.api.indexer import index_if_due
from shield.config import ApiSettings
from shield.fields import SearchMode
from shield.vectorstore import PointRecord
from shield.vectorstore.base import StoreQuery
from shield.vectorstore.edge import EdgeVectorStore


def test_indexes_when_enough_points_wait_and_writes_are_quiet(tmp_path: Path) -> None:
    store = EdgeVectorStore(tmp_path)
    # Qdrant leaves segments under ~10 MB of vectors unindexed (a scan is as fast): go above.
    store.ensure_collection("docs", "m", 384)
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((8000, 384)).astype(np.float32)
    for start in range(0, 8000, 1000):
        store.upsert(
            "docs",
            [PointRecord(str(uuid.uuid4()), v.tolist(), {}) for v in vectors[start : start + 1000]],
        )
    assert store.pending_index_points() == 8000
    services: Any = SimpleNamespace(
        settings=ApiSettings(index_min_points=5000, index_idle_seconds=60),
        store=store,
        index=SimpleNamespace(last_write=time.monotonic()),
    )
    assert index_if_due(services) is False  # a write just happened
    services.index.last_write -= 61
    services.settings = ApiSettings(index_min_points=9000, index_idle_seconds=60)
    assert index_if_due(services) is False  # too few points to be worth it
    services.settings = ApiSettings(index_min_points=5000, index_idle_seconds=60)
    assert index_if_due(services) is True
    assert store.pending_index_points() == 0
    query = StoreQuery(SearchMode.DENSE, vector=vectors[42].tolist(), limit=1)
    assert store.search("docs", query)[0].score > 0.99
    store.close()


def test_passages_with_text_count_as_waiting_for_the_index(tmp_path: Path) -> None:
    """The shard counts the lexical vectors as indexed: the store counts what it wrote instead,
    so the background indexer still builds the dense index of a collection with text."""
    store = EdgeVectorStore(tmp_path)
    store.create_collection("docs", "m", 8)
    rng = np.random.default_rng(1)
    points = [
        PointRecord(str(uuid.uuid4()), rng.standard_normal(8).tolist(), {"text": f"pump {i}"})
        for i in range(300)
    ]
    store.upsert("docs", points)
    assert store.pending_index_points() == 300
    store.optimize()
    assert store.pending_index_points() == 0
    store.upsert("docs", points[:10])
    assert store.pending_index_points() == 10
    store.close()
