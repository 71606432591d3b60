"""A graph answer's context as text: what shield-lightrag answers without an LLM, and what
shield-api writes again when it cuts an answer to its size; and the prompt an LLM answers from,
with the passages numbered as callers see them (the answer's `chunks`, from 1), so that its
citations are theirs."""

from __future__ import annotations

from typing import Any


def context_text(
    entities: list[dict[str, Any]], relations: list[dict[str, Any]], passages: int
) -> str:
    """The entities and relations near the question, a line each; the passages are the
    answer's `chunks`, counted here, not repeated."""
    lines = [f"- {e.get('entity_name')}: {e.get('description', '')}" for e in entities]
    lines += [
        f"- {r.get('src_id')} <-> {r.get('tgt_id')}: {r.get('description', '')}" for r in relations
    ]
    lines.append(f"({passages} passages in chunks, each with its document.)")
    return "\n".join(lines)


ANSWER_SYSTEM = (
    "You answer questions from a knowledge base. Use only the numbered passages, entities and "
    "relations you are given. After each statement, cite the passages it rests on by their "
    "numbers in square brackets, like [2] or [1][3]; cite no other source. If they do not "
    "answer the question, say so in one sentence. Be brief: a few sentences at most."
)


def answer_prompt(
    query: str,
    entities: list[dict[str, Any]],
    relations: list[dict[str, Any]],
    passages: list[dict[str, Any]],
) -> str:
    """The question and its context for an LLM: the passages numbered as the answer lists them
    (each with its document), then the entities and relations found in them."""
    lines = ["Passages:"]
    lines += [
        f"[{n}] (document {p.get('document_id') or 'unknown'}) {p.get('content', '')}"
        for n, p in enumerate(passages, start=1)
    ]
    if entities:
        lines += ["", "Entities:"]
        lines += [f"- {e.get('entity_name')}: {e.get('description', '')}" for e in entities]
    if relations:
        lines += ["", "Relations:"]
        lines += [
            f"- {r.get('src_id')} <-> {r.get('tgt_id')}: {r.get('description', '')}"
            for r in relations
        ]
    lines += ["", f"Question: {query}"]
    return "\n".join(lines)
