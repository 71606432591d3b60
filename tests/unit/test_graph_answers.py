"""An LLM's graph answer cites passages by the numbers callers see them under, and a cut
answer never cites a passage it left out."""

from __future__ import annotations

from typing import Any

from shield.api.routes.graph import within
from shield.graph.answers import answer_prompt


def _passage(number: int, text: str) -> dict[str, Any]:
    return {"chunk_id": f"c{number}", "document_id": f"d{number}", "content": text}


def test_the_prompt_numbers_the_passages_as_the_answer_lists_them() -> None:
    passages = [_passage(1, "Ana Voss keeps the mill."), _passage(2, "The mill was built in 1803.")]
    entities = [{"entity_name": "Ana Voss", "description": "keeps the mill"}]
    prompt = answer_prompt("Who keeps the mill?", entities, [], passages)
    assert "[1] (document d1) Ana Voss keeps the mill." in prompt
    assert "[2] (document d2) The mill was built in 1803." in prompt
    assert "- Ana Voss: keeps the mill" in prompt
    assert prompt.endswith("Question: Who keeps the mill?")


def test_a_cut_llm_answer_drops_its_citations_of_passages_left_out() -> None:
    passages = [_passage(n, f"Passage {n}. " + "words " * 300) for n in range(1, 6)]
    found = {
        "mode": "mix",
        "llm_generated": True,
        "answer": "The mill is old [1][5]. Ana keeps it [2].",
        "entities": [],
        "relations": [],
        "chunks": passages,
    }
    answer = within(found, max_chars=6000)
    assert answer.truncated
    kept = len(answer.chunks)
    assert 2 <= kept < 5
    assert answer.answer == "The mill is old [1]. Ana keeps it [2]."
    assert within(found, max_chars=100_000).answer == found["answer"]
