"""The knowledge graph, through shield-api: a question (`POST /lightrag/query`) and a relation's
passages (`POST /lightrag/relation`), forwarded to shield-lightrag."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body

from shield.access.scopes import Access
from shield.api import examples
from shield.api.caller import Caller
from shield.api.deps import CallerDep, ServicesDep, collection_or_default
from shield.api.openapi import error_responses
from shield.api.services import Services
from shield.graph.answers import context_text
from shield.schemas import (
    CitedDocument,
    GraphAnswer,
    GraphQuery,
    GraphRelation,
    GraphRelationAnswer,
)

_CITATION = re.compile(r"\[(\d+)\]")  # an LLM answer's citation of passage n
router = APIRouter(tags=["graph"])


@router.post(
    "/lightrag/query",
    summary="Ask the knowledge graph (LightRAG); the answer says whether an LLM wrote it",
    # and 503 when shield-lightrag is not configured
    responses={**examples.answer(examples.GRAPH_ANSWER), **error_responses(400, 413)},
)
def lightrag_query(
    body: Annotated[GraphQuery, Body(openapi_examples=examples.GRAPH_QUERY)],
    services: ServicesDep,
    caller: CallerDep,
) -> GraphAnswer:
    """Each collection has a graph of its own: a question is answered from its collection's.
    Every passage, entity and relation names the documents it comes from (`document_id`,
    `source`, `title`); the answer keeps within `max_chars`."""
    found = _forward("/query", body, services, caller, leave_out={"max_chars"})
    collection = collection_or_default(services, body.collection)
    return within(cited(found, services, collection), body.max_chars)


@router.post(
    "/lightrag/relation",
    summary="A relation of the knowledge graph and the passages it was found in",
    responses={**examples.answer(examples.GRAPH_RELATION_ANSWER), **error_responses(400, 404, 413)},
)
def lightrag_relation(
    body: Annotated[GraphRelation, Body(openapi_examples=examples.GRAPH_RELATION)],
    services: ServicesDep,
    caller: CallerDep,
) -> GraphRelationAnswer:
    """The relation between two entities (as `/lightrag/query` names them) with its keywords,
    its description and the chunks LightRAG extracted it from, each with its document's id."""
    return GraphRelationAnswer.model_validate(_forward("/relation", body, services, caller))


def _forward(
    path: str,
    body: GraphQuery | GraphRelation,
    services: Services,
    caller: Caller,
    leave_out: set[str] | None = None,
) -> dict[str, Any]:
    """The body to shield-lightrag for its collection (the default one if none), which the
    caller must be allowed to read."""
    payload = body.model_dump(exclude=leave_out)
    payload["collection"] = collection_or_default(services, body.collection)
    caller.require(Access.READ, payload["collection"])
    result: dict[str, Any] = services.lightrag.call("POST", path, payload)
    return result


def cited(found: dict[str, Any], services: Services, collection: str) -> dict[str, Any]:
    """The graph's answer with each document id it names made a citation: the document's
    source and title, as the vector store keeps them (a document deleted meanwhile keeps its id
    alone)."""
    known: dict[str, CitedDocument] = {}

    def cite(document_id: str) -> CitedDocument:
        if document_id not in known:
            summary = services.index.get(collection, document_id)
            known[document_id] = CitedDocument(
                document_id=document_id,
                source=summary.source if summary else "",
                title=summary.title if summary else "",
            )
        return known[document_id]

    for chunk in found.get("chunks", []):
        if chunk.get("document_id"):
            cited_as = cite(chunk["document_id"])
            chunk.update(source=cited_as.source, title=cited_as.title)
    for item in [*found.get("entities", []), *found.get("relations", [])]:
        item["documents"] = [cite(d).model_dump() for d in item.get("documents", [])]
    return found


def within(found: dict[str, Any], max_chars: int) -> GraphAnswer:
    """The answer cut to `max_chars` characters of JSON: relations and entities in turn, the
    least supported first (the end of each list), then passages (the last first, so the others
    keep their numbers). Without an LLM, the answer text (the context) is written again from
    what is kept; an LLM's loses its citations of passages left out."""
    answer = GraphAnswer.model_validate(found)
    if len(answer.model_dump_json()) <= max_chars:
        return answer
    answer.truncated = True
    # What the context is preceded by (why an overview was given instead) stays.
    context = context_text(answer.entities, answer.relations, len(answer.chunks))
    preamble = answer.answer.removesuffix(context) if answer.answer.endswith(context) else ""

    def fits() -> bool:
        if not answer.llm_generated:
            answer.answer = preamble + context_text(
                answer.entities, answer.relations, len(answer.chunks)
            )
        return len(answer.model_dump_json()) <= max_chars

    while (answer.relations or answer.entities) and not fits():
        relations, entities = answer.relations, answer.entities
        (relations if len(relations) >= len(entities) else entities).pop()
    while answer.chunks and not fits():
        answer.chunks.pop()
    if answer.llm_generated:  # no citation of a passage left out
        kept = len(answer.chunks)
        answer.answer = _CITATION.sub(
            lambda cited: cited.group(0) if int(cited.group(1)) <= kept else "", answer.answer
        )
    if not fits():  # an LLM's answer longer than the budget itself
        answer.answer = answer.answer[: max(0, max_chars - 600)] + " [cut]"
    return answer
