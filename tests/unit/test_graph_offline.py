"""The offline parts of the knowledge graph: the tokenizer, the extractor, and the guard against
LightRAG installing packages at run time."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence

import numpy as np
import pipmaster
import pytest

from shield.embeddings import Embedder
from shield.graph.vectors import decode_vector, encode_vector
from shield.graph_service.engine import (
    _embedding_func,
    _inserting,
    extraction_rows,
    graph_text,
    merged_descriptions,
)
from shield.graph_service.extractor import OfflineExtractor
from shield.graph_service.offline import RuntimeInstallRefused
from shield.graph_service.tokenizer import PackedCharTokenizer


@pytest.mark.parametrize(
    "text",
    ["", "a", "Marta Kovač — 🚢 harbour\n\tmaster", "x" * 1000, "\x00\U0010ffff"],
)
def test_the_tokenizer_gives_back_exactly_what_it_was_given(text: str) -> None:
    tokenizer = PackedCharTokenizer()
    tokens = tokenizer.encode(text)
    assert tokenizer.decode(tokens) == text
    assert len(tokens) == -(-len(text) // 3)
    assert copy.deepcopy(tokenizer) is tokenizer  # LightRAG deep-copies its configuration


def test_the_extractor_finds_names_phrases_and_relations_within_sentences() -> None:
    found = OfflineExtractor().extract(
        "Marta Kovac is the harbour master of Port Elira. She schedules the night ferry "
        "Albatross. The Albatross ferry crosses to Vell Island every evening."
    )
    names = {e.name: e for e in found.entities}
    assert {"Marta Kovac", "Port Elira", "Albatross", "Vell Island"} <= set(names)
    assert names["Marta Kovac"].kind == "name"
    assert "harbour master of Port Elira" in names["Marta Kovac"].description
    pairs = {frozenset((r.source, r.target)) for r in found.relations}
    assert frozenset(("Marta Kovac", "Port Elira")) in pairs
    assert frozenset(("Albatross", "Vell Island")) in pairs
    assert frozenset(("Marta Kovac", "Vell Island")) not in pairs  # never in one sentence


def test_a_sentences_names_are_related_in_the_order_it_names_them() -> None:
    found = OfflineExtractor().extract(
        "Ana Voss of the Tidewatch Guild keeps the store at Tarnford. "
        "Milo Brandt of the Tidewatch Guild mends the nets at Tarnford."
    )
    pairs = {frozenset((r.source, r.target)) for r in found.relations}
    assert frozenset(("Milo Brandt", "Tidewatch Guild")) in pairs  # not Tarnford, named first
    assert frozenset(("Milo Brandt", "Tarnford")) not in pairs


def test_a_plural_is_merged_with_its_singular_when_the_text_uses_both() -> None:
    found = OfflineExtractor().extract(
        "Mooring ropes fray in winter. A mooring rope must be replaced yearly. The harbour "
        "master checks every mooring rope at Tarnford. The keeper cleans the lens at Tarnford."
    )
    names = {e.name.lower(): e for e in found.entities}
    assert "mooring rope" in names
    assert "mooring ropes" not in names
    # The plural's sentence is the merged entity's too.
    assert "fray in winter" in names["mooring rope"].description
    assert not [n for n in names if n.endswith("len")]  # "lens": no "len" in the text


def test_a_long_phrase_said_once_is_not_an_entity() -> None:
    text = (
        "Mooring ropes fray in winter. A mooring rope must be replaced yearly. The harbour "
        "master checks every mooring rope at Tarnford."
    )
    names = {e.name.lower() for e in OfflineExtractor().extract(text).entities}
    assert "fray in winter" not in names  # a piece of a clause, said once
    assert {"mooring rope", "tarnford"} <= names
    said_twice = text + " Each spring the crew fray in winter drills."
    assert "fray in winter" in {
        e.name.lower() for e in OfflineExtractor().extract(said_twice).entities
    }


def test_questions_give_their_names_as_low_level_keywords() -> None:
    high, low = OfflineExtractor().query_keywords("Who is the harbour master of Port Elira?")
    assert low == ["Port Elira"]
    assert "harbour master" in high


def test_rows_follow_lightrags_extraction_format() -> None:
    found = OfflineExtractor().extract("Ivo Rensk maintains the lighthouse of Cape Dorn.")
    rows = extraction_rows(found).splitlines()
    assert rows[-1] == "<|COMPLETE|>"
    assert rows[0].startswith("entity<|#|>")
    assert any(r.startswith("relation<|#|>Ivo Rensk<|#|>Cape Dorn") for r in rows)


def test_descriptions_merge_without_an_llm() -> None:
    listing = '{"description": "A harbour."}\n{"description": "A harbour."}\n{"description": "B."}'
    assert merged_descriptions(listing) == "A harbour. B."


def test_lightrag_cannot_install_packages_at_run_time() -> None:
    import shield.graph  # noqa: F401 - the guard is armed on import

    with pytest.raises(RuntimeInstallRefused, match="neo4j"):
        pipmaster.install("neo4j")


def test_the_graph_embeds_entities_by_name_and_relations_by_keywords_and_names() -> None:
    # The shapes LightRAG gives its entity and relation vector stores (operate.py).
    entity = "Marta Kovac\nMarta Kovac is the harbour master of Port Elira."
    relation = "schedules ferry\tMarta Kovac\nAlbatross\nShe schedules the night ferry."
    assert graph_text(entity) == "Marta Kovac"
    assert graph_text(relation) == "schedules ferry\tMarta Kovac\nAlbatross"
    assert len(graph_text("x" * 500)) == 96


class _CountingEmbedder(Embedder):
    model_name = "counting"
    dimension = 4

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen += texts
        return np.array([[len(t), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32)


def test_documents_going_in_embed_each_graph_text_once_and_chunks_in_full() -> None:
    embedder = _CountingEmbedder()
    embed = _embedding_func(embedder)
    chunk = "Marta Kovac schedules the night ferry Albatross."
    entity = "Marta Kovac\nMarta Kovac is the harbour master."
    merged = "Marta Kovac\nMarta Kovac is the harbour master. She schedules the ferry."

    async def insert() -> list[np.ndarray]:
        token = _inserting.set({chunk: None})
        try:
            return [await embed([chunk, entity]), await embed([merged, entity])]
        finally:
            _inserting.reset(token)

    first, second = asyncio.run(insert())
    assert embedder.seen == [chunk, "Marta Kovac"]  # the merged entity came from the cache
    assert first.shape == second.shape == (2, 4)
    assert first[0][0] == len(chunk)
    assert first[1][0] == second[0][0] == len("Marta Kovac")

    async def query() -> np.ndarray:
        return await embed([entity])

    asyncio.run(query())  # a query embeds its keywords as given, not from the cache
    assert embedder.seen[-1] == entity


def test_chunks_with_the_vector_stores_vectors_are_not_embedded_again() -> None:
    embedder = _CountingEmbedder()
    embed = _embedding_func(embedder)
    chunk = "Marta Kovac schedules the night ferry Albatross."
    stored = np.array([0.0, 0.0, 1.0, 0.0], dtype=np.float32)

    async def insert() -> np.ndarray:
        token = _inserting.set({chunk: stored})
        try:
            return await embed([chunk, "Marta Kovac\nMarta Kovac is the harbour master."])
        finally:
            _inserting.reset(token)

    vectors = asyncio.run(insert())
    assert embedder.seen == ["Marta Kovac"]  # the entity only
    assert vectors[0].tolist() == stored.tolist()


def test_vectors_travel_as_base64_of_float32_and_bad_ones_are_refused() -> None:
    vector = [0.25, -1.5, 3.0]
    assert decode_vector(encode_vector(vector), 3).tolist() == vector
    with pytest.raises(ValueError, match="3 dimensions, this one has 2"):
        decode_vector(encode_vector(vector[:2]), 3)
    with pytest.raises(ValueError, match="base64"):
        decode_vector("%%%", 3)
    with pytest.raises(ValueError, match="finite"):
        decode_vector(encode_vector([0.0, float("nan"), 1.0]), 3)


def test_words_that_name_nothing_never_become_entities() -> None:
    text = (
        "Perhaps the pump fails. NOTE: the note is kept in /usr/share/ref by the keeper. "
        "Wouldn't it MUST be checked? Ana Voss's granary stands at Tarn Ford. "
        "Granaries hold grain. Ana Voss opens it every morning at https://tarn.example/open."
    )
    names = {e.name for e in OfflineExtractor().extract(text).entities}
    assert {"Ana Voss", "Tarn Ford"} <= names  # a possessive merged with its name
    junk = {"Perhaps", "NOTE", "MUST", "Wouldn't", "usr", "ref", "Ana Voss's", "Granaries"}
    assert not names & junk, names & junk
    assert not [n for n in names if "/" in n or "." in n], names


def test_a_heading_does_not_run_into_the_sentence_after_it() -> None:
    names = {
        e.name for e in OfflineExtractor().extract("# Ferries\nThe ferry Kestrel sails.").entities
    }
    assert "Ferries The" not in names
    assert {"ferry", "Kestrel"} <= names  # the heading's plural merged with the ferry
