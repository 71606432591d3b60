"""The offline parts of the knowledge graph: the tokenizer, the extractor, and the guard against
LightRAG installing packages at run time."""

from __future__ import annotations

import copy

import pipmaster
import pytest

from shield.graph.engine import extraction_rows, merged_descriptions
from shield.graph.extractor import OfflineExtractor
from shield.graph.offline import RuntimeInstallRefused
from shield.graph.tokenizer import PackedCharTokenizer


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
