"""What an assistant reads of a graph answer: numbered passages under their sources, entities
and relations citing them, and why when nothing matched."""

from __future__ import annotations

from shield.mcp.results import graph_text
from shield.schemas import GraphAnswer

DOCUMENT = {"document_id": "d-1", "source": "keeper.md", "title": "Keepers"}


def test_passages_are_numbered_under_their_sources_and_cited_by_entities() -> None:
    answer = GraphAnswer(
        mode="mix",
        llm_generated=False,
        answer="- Ana Voss: keeps the granary",
        entities=[{"entity_name": "Ana Voss", "description": "keeps it", "documents": [DOCUMENT]}],
        relations=[
            {
                "src_id": "Ana Voss",
                "tgt_id": "Tarn Ford",
                "description": "keeps",
                "documents": [{"document_id": "d-9", "source": "elsewhere.md", "title": ""}],
            }
        ],
        chunks=[{"chunk_id": "c-1", "content": "Ana Voss keeps the granary.", **DOCUMENT}],
    )
    text = graph_text(answer)
    assert "[1] keeper.md (Keepers), document d-1\nAna Voss keeps the granary." in text
    assert "- Ana Voss: keeps it [1]" in text
    assert "- Ana Voss <-> Tarn Ford: keeps (in elsewhere.md)" in text  # no passage of it here


def test_an_answer_that_found_nothing_says_why() -> None:
    why = "Nothing in the knowledge graph of shield matched the question (looked for: Jupiter)."
    answer = GraphAnswer(
        mode="global", llm_generated=False, answer=why, entities=[], relations=[], chunks=[]
    )
    assert graph_text(answer) == why


def test_an_overview_says_it_is_one() -> None:
    answer = GraphAnswer(
        mode="global",
        llm_generated=False,
        answer="...",
        entities=[],
        relations=[{"src_id": "Ana Voss", "tgt_id": "Tarn Ford", "documents": [DOCUMENT]}],
        chunks=[{"chunk_id": "c-1", "content": "Ana Voss keeps the granary.", **DOCUMENT}],
        overview=True,
    )
    text = graph_text(answer)
    assert text.startswith("No relation of the knowledge graph matched the question's themes")
    assert "[1] keeper.md (Keepers), document d-1" in text
