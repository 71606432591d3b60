"""The knowledge graph, through shield-api: a question (`POST /lightrag/query`) and a relation's
passages (`POST /lightrag/relation`), forwarded to shield-lightrag."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from shield.access.scopes import Access
from shield.api import examples
from shield.api.caller import Caller
from shield.api.deps import CallerDep, ServicesDep, collection_or_default
from shield.api.openapi import error_responses
from shield.api.services import Services
from shield.schemas import GraphAnswer, GraphQuery, GraphRelation, GraphRelationAnswer

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
    """Each collection has a graph of its own: a question is answered from its collection's."""
    return GraphAnswer.model_validate(_forward("/query", body, services, caller))


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
    path: str, body: GraphQuery | GraphRelation, services: Services, caller: Caller
) -> dict[str, Any]:
    """The body to shield-lightrag for its collection (the default one if none), which the
    caller must be allowed to read."""
    payload = body.model_dump()
    payload["collection"] = collection_or_default(services, body.collection)
    caller.require(Access.READ, payload["collection"])
    result: dict[str, Any] = services.lightrag.call("POST", path, payload)
    return result
