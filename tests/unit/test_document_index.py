"""The document index's rules for callers' filters: everything checked before the store sees it,
and payload indexes made by writers only (a reader's filter never changes the store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shield.documents.identity import content_hash, document_id
from shield.documents.index import (
    MAX_FILTER_INDEXES,
    DocumentIndex,
    Search,
    parse_filter,
)
from shield.documents.models import ChunkIn, DocumentWrite
from shield.embeddings.local import LocalEmbedder
from shield.errors import InvalidInput
from shield.resilience import Breaker
from shield.vectorstore.edge import EdgeVectorStore


@pytest.fixture
def index(tmp_path: Path, embedder: LocalEmbedder) -> Iterator[DocumentIndex]:
    store = EdgeVectorStore(tmp_path / "store")
    store.create_collection("docs", embedder.model_name, embedder.dimension)
    yield DocumentIndex(store, embedder, Breaker("unit", "index-store", register=False))
    store.close()


def write(index: DocumentIndex, source: str, text: str, **metadata: object) -> None:
    embedder = index.embedder
    chunk = ChunkIn(text=text, vector=list(embedder.embed_one(text)))
    index.replace(
        "docs",
        document_id("docs", source),
        DocumentWrite(
            source=source,
            content_hash=content_hash(text),
            embedding_model=embedder.model_name,
            metadata=metadata,
            chunks=[chunk],
        ),
    )


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"metadata.$team": "ops"}, "cannot filter on 'metadata.$team'"),
        ({"metadata.a b": "ops"}, "cannot filter on 'metadata.a b'"),
        ({"metadata." + "k" * 10_000: "ops"}, "at most 64 characters"),
        ({"metadata.a.b.c.d.e": "ops"}, "cannot filter on"),
        ({"metadata.": "ops"}, "cannot filter on"),
        ({"owner": "ops"}, "use one of document_id, source"),
        ({f"metadata.k{n}": "x" for n in range(17)}, "at most 16 conditions"),
        ({"metadata.team": [str(n) for n in range(101)]}, "at most 100"),
        ({"metadata.team": "x" * 5000}, "longer than 4096 characters"),
        ({"metadata.size": 2**70}, "64-bit integer range"),
        ({"metadata.team": []}, "non-empty list"),
        ({"metadata.team": {"$ne": "ops"}}, "string, number or boolean"),
    ],
    ids=lambda value: str(value)[:40] if isinstance(value, str) else None,
)
def test_a_malformed_filter_is_refused_naming_the_field(raw: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidInput, match=says.replace("$", r"\$")) as caught:
        parse_filter(raw)
    assert caught.value.status_code == 422
    assert str(caught.value.details["field"]).startswith("filter")


def test_a_readers_filter_changes_no_index_and_still_finds(index: DocumentIndex) -> None:
    write(index, "a.md", "The red team keeps the pager on weekends.", team="red")
    write(index, "b.md", "The blue team keeps the pager on weekdays.", team="blue")
    before = index.store.indexed_fields("docs")
    found = index.search(
        "docs", Search("who keeps the pager", where=parse_filter({"metadata.shift": "night"}))
    )
    assert found.hits == []
    found = index.search(
        "docs", Search("who keeps the pager", where=parse_filter({"metadata.floor": 3}))
    )
    assert found.hits == []
    assert index.store.indexed_fields("docs") == before  # no index made by a reader
    assert "metadata.shift" not in before
    found = index.search(
        "docs", Search("who keeps the pager", where=parse_filter({"metadata.team": "blue"}))
    )
    assert [hit.payload["source"] for hit in found.hits] == ["b.md"]
    write(index, "c.md", "The green team keeps the pager at night.", owner={"team": "green"})
    nested = parse_filter({"metadata.owner.team": "green"})
    found = index.search("docs", Search("who keeps the pager", where=nested))
    assert [hit.payload["source"] for hit in found.hits] == ["c.md"]


def test_writers_index_the_fields_they_bring_within_the_cap(index: DocumentIndex) -> None:
    write(index, "a.md", "Quarterly figures.", team="red", year=2026, public=True, tags=["x"])
    fields = index.store.indexed_fields("docs")
    assert {"metadata.team", "metadata.year", "metadata.public", "metadata.tags"} <= fields
    assert {"title", "content_hash"} <= fields
    many = {f"f{n}": "v" for n in range(MAX_FILTER_INDEXES + 10)}
    write(index, "b.md", "More figures.", **many, **{"bad key": "v", "mixed": [1, "a"]})
    fields = index.store.indexed_fields("docs")
    metadata_indexes = {f for f in fields if f.startswith("metadata.")}
    assert len(metadata_indexes) == MAX_FILTER_INDEXES
    assert "metadata.bad key" not in fields
    assert "metadata.mixed" not in fields
