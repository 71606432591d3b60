"""A graph answer's context as text: what shield-lightrag answers without an LLM, and what
shield-api writes again when it cuts an answer to its size."""

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
