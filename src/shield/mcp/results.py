"""What shield-mcp's search tools answer: typed models (their fields are the tools' output
schemas, and structured content validates against them) and text written for a model to read.

Search results are compact by default: the passage, its score, where it comes from (source,
title, heading path) and its document's id. Shield's bookkeeping (point ids, content hashes, job
ids, timestamps, chunk indexes) only fills an assistant's context; `verbose` adds it back.
"""

from __future__ import annotations

from typing import Any

from fastmcp.tools.base import ToolResult
from pydantic import BaseModel, Field

from shield import schemas
from shield.fields import SearchMode
from shield.jobs.models import JobState
from shield.schemas import GraphAnswer, SearchHit, StoreBatchResponse, StoreResponse


class Passage(BaseModel):
    text: str = Field(description="The passage.")
    score: float = Field(description="Higher is better; its scale depends on the mode.")
    source: str = Field(description="Where the document came from: a URL, a file, a name.")
    title: str = Field(description="The document's title, where it has one.")
    headings: list[str] = Field(description="The passage's heading path, outermost first.")
    document_id: str
    metadata: dict[str, Any] | None = Field(
        default=None, description="With verbose: the metadata given when the text was stored."
    )
    details: dict[str, Any] | None = Field(
        default=None,
        description="With verbose: Shield's own fields (point id, chunk index, content hash, "
        "job, time of ingestion).",
    )


class SearchAnswer(BaseModel):
    collection: str = Field(description="The collection searched.")
    mode: SearchMode = Field(description="The search mode that ran.")
    results: list[Passage]


def passage(hit: SearchHit, verbose: bool) -> Passage:
    compact = Passage(
        text=hit.text,
        score=round(hit.score, 4),
        source=hit.source,
        title=hit.title,
        headings=hit.headings,
        document_id=hit.document_id,
    )
    if not verbose:
        return compact
    payload = dict(hit.metadata)
    given = payload.pop("metadata", None)
    for shown in ("text", "source", "title", "headings", "document_id"):
        payload.pop(shown, None)
    return compact.model_copy(
        update={"metadata": given or {}, "details": {"id": hit.id, **payload}}
    )


def _where(hit: Passage) -> str:
    path = (
        [hit.title, *hit.headings]
        if hit.title and hit.title not in hit.headings[:1]
        else hit.headings
    )
    return f"{hit.source} ({' > '.join(path)})" if path else hit.source


def document_uri(collection: str, document_id: str) -> str:
    """The resource that holds a document's whole text."""
    return f"shield://collections/{collection}/documents/{document_id}"


def search_text(answer: SearchAnswer) -> str:
    """The passages as a model reads them best: numbered, each under where it comes from and
    the document it belongs to (its id opens the whole text, or deletes it)."""
    if not answer.results:
        return f"No passage found in collection {answer.collection} ({answer.mode} search)."
    blocks = [
        f"[{number}] {_where(hit)}, score {hit.score:g}, document {hit.document_id}\n"
        f"{hit.text.strip()}"
        for number, hit in enumerate(answer.results, 1)
    ]
    heading = (
        f"{len(blocks)} passages from collection {answer.collection} ({answer.mode} search), "
        f"best first. A document's whole text: {document_uri(answer.collection, '<document>')}"
    )
    return heading + "\n\n" + "\n\n".join(blocks)


def typed(model: BaseModel, text: str) -> ToolResult:
    """A tool's answer: the model as structured content, and its text for the model to read."""
    return ToolResult(
        content=text, structured_content=model.model_dump(mode="json", exclude_none=True)
    )


def _documents(item: dict[str, Any], numbers: dict[str, int]) -> str:
    """Where an entity or relation was found: the numbers of the passages above from its
    documents, else the documents' sources."""
    found = [d for d in item.get("documents", []) if isinstance(d, dict)]
    cited = sorted({numbers[d["document_id"]] for d in found if d.get("document_id") in numbers})
    if cited:
        return " [" + ", ".join(str(n) for n in cited) + "]"
    sources = [str(d.get("source") or d.get("document_id")) for d in found[:3]]
    return f" (in {', '.join(sources)})" if sources else ""


def graph_text(answer: GraphAnswer) -> str:
    """The graph's answer as a model reads it best: the passages numbered under their sources
    with their document ids, as qdrant_find gives them; then the entities and relations, each
    citing the passages of the documents it was found in; with an LLM, its answer first."""
    if not (answer.chunks or answer.entities or answer.relations):
        return answer.answer  # what was looked for, and what to try
    numbers: dict[str, int] = {}
    blocks = []
    for number, chunk in enumerate(answer.chunks, 1):
        where = chunk.source or "an unknown source"
        if chunk.title and chunk.title != chunk.source:
            where += f" ({chunk.title})"
        blocks.append(f"[{number}] {where}, document {chunk.document_id}\n{chunk.content.strip()}")
        if chunk.document_id:
            numbers.setdefault(chunk.document_id, number)
    entities = [
        f"- {e.get('entity_name')}: {e.get('description', '')}{_documents(e, numbers)}"
        for e in answer.entities
    ]
    relations = [
        f"- {r.get('src_id')} <-> {r.get('tgt_id')}: {r.get('description', '')}"
        f"{_documents(r, numbers)}"
        for r in answer.relations
    ]
    parts = [answer.answer.strip()] if answer.llm_generated else [
        f"The knowledge graph's context for the question ({answer.mode} mode; no LLM is "
        "configured to answer it): passages, then the entities and relations near it, each "
        "with the passages it was found in."
    ]  # fmt: skip
    if answer.overview and not answer.llm_generated:
        parts[0] = (
            "No relation of the knowledge graph matched the question's themes: here instead "
            "is an overview, the relations among its most connected entities (global mode; no "
            "LLM is configured): passages, then those entities and relations, each with the "
            "passages it was found in."
        )
    if blocks:
        parts.append("Passages:\n\n" + "\n\n".join(blocks))
    if entities:
        parts.append("Entities:\n" + "\n".join(entities))
    if relations:
        parts.append("Relations:\n" + "\n".join(relations))
    if answer.truncated:
        parts.append("(Cut to keep within max_chars: ask with a larger max_chars for the rest.)")
    return "\n\n".join(parts)


def stored(answer: StoreResponse | StoreBatchResponse) -> StoreBatchResponse:
    """`POST /store` answers one document, or a batch of them: always a batch here."""
    if isinstance(answer, StoreBatchResponse):
        return answer
    return StoreBatchResponse(collection=answer.collection, documents=[answer])


class JobAccepted(schemas.JobAccepted):
    status: str = Field(description="queued; with wait, the job's status when it answered.")
    job: JobState | None = Field(
        default=None,
        description="With wait: the job as it ended, or as it stood when the wait ran out.",
    )
