"""A batch of documents goes into LightRAG's files in one commit, and a commit cut short rolls
back to the batch before it when the workspace next opens."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lightrag.kg.json_doc_status_impl import JsonDocStatusStorage
from lightrag.kg.networkx_impl import NetworkXStorage
from lightrag.kg.shared_storage import finalize_share_data

from shield.embeddings.local import LocalEmbedder
from shield.graph_service.commit import SNAPSHOT
from shield.graph_service.engine import GraphEngine, GraphError

BATCH_A = {
    "a1": ["Marta Kovac is the harbour master of Port Elira."],
    "a2": ["The night ferry Albatross crosses to Vell Island.", "Its captain is Ilse Brandt."],
    "a3": ["Port Elira exports salted cod to Vell Island."],
}
BATCH_B = {"b1": ["Ondrej Sala keeps the Gannet Rock lighthouse above Port Elira."]}


def _graph_nodes(folder: Path) -> str:
    return (folder / "graph_chunk_entity_relation.graphml").read_text()


async def _reopen(engine: GraphEngine) -> GraphEngine:
    """Another process's view: LightRAG's process-wide state gone, the files read again."""
    await engine.close()
    finalize_share_data()
    return GraphEngine(engine.data_dir, engine.embedder)


def test_a_batch_is_written_once(
    tmp_path: Path, embedder: LocalEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: Counter[str] = Counter()
    for storage in (JsonDocStatusStorage, NetworkXStorage):
        real = storage.index_done_callback

        async def counted(self: Any, _real: Any = real, _name: str = storage.__name__) -> Any:
            writes[_name] += 1
            return await _real(self)

        monkeypatch.setattr(storage, "index_done_callback", counted)

    async def scenario() -> None:
        engine = GraphEngine(tmp_path, embedder)
        try:
            outcomes = await engine.apply("harbour", BATCH_A, [])
            assert {doc: o.status for doc, o in outcomes.items()} == dict.fromkeys(
                BATCH_A, "stored"
            )
            assert all([await engine.holds("harbour", doc) for doc in BATCH_A])
        finally:
            await engine.close()
            finalize_share_data()

    asyncio.run(scenario())
    # LightRAG alone writes the statuses several times per document and the graph once each.
    assert writes == {"JsonDocStatusStorage": 1, "NetworkXStorage": 1}
    assert not (tmp_path / "harbour" / SNAPSHOT).exists()


def test_a_commit_cut_short_rolls_back_to_the_batch_before(
    tmp_path: Path, embedder: LocalEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "harbour"
    real = JsonDocStatusStorage.index_done_callback

    async def disk_full(self: Any) -> None:
        raise OSError(28, "No space left on device")

    async def scenario() -> None:
        engine = GraphEngine(tmp_path, embedder)
        await engine.apply("harbour", BATCH_A, [])
        committed = _graph_nodes(folder)
        # The graph's file is written, then the statuses (the commit record) are not.
        monkeypatch.setattr(JsonDocStatusStorage, "index_done_callback", disk_full)
        with pytest.raises(GraphError, match=r"could not write collection harbour.*No space"):
            await engine.apply("harbour", BATCH_B, [])
        assert "Ondrej Sala" in _graph_nodes(folder)
        assert (folder / SNAPSHOT).is_dir()
        monkeypatch.setattr(JsonDocStatusStorage, "index_done_callback", real)

        engine = await _reopen(engine)
        try:
            await engine.rag("harbour")  # the workspace opens
            assert _graph_nodes(folder) == committed  # as the batch before left it
            assert not (folder / SNAPSHOT).exists()
            assert all([await engine.holds("harbour", doc) for doc in BATCH_A])
            assert not await engine.holds("harbour", "b1")
            # The backlog sends the batch again, and it goes in whole.
            outcomes = await engine.apply("harbour", BATCH_B, [])
            assert outcomes["b1"].status == "stored"
            answer = await engine.query(
                "harbour", "Who keeps the Gannet Rock lighthouse?", "local", 5
            )
            assert "Ondrej Sala" in answer.answer
        finally:
            await engine.close()
            finalize_share_data()

    asyncio.run(scenario())
