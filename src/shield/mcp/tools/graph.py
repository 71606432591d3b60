"""Asking the knowledge graph: `lightrag_query`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastmcp.tools.base import ToolResult
from pydantic import Field

from shield.mcp.api import ShieldApi
from shield.mcp.results import GraphAnswer, graph_text, typed
from shield.mcp.tools.common import SHIELD, Collection, Tool, drop_none, reads


async def lightrag_query(
    query: Annotated[str, Field(description="A question, in plain words.")],
    mode: Annotated[
        Literal["naive", "local", "global", "hybrid", "mix"],
        Field(
            description="naive: passages only; local: entities near the question; global: "
            "relations across the knowledge graph; hybrid: both; mix: graph and passages."
        ),
    ] = "hybrid",
    collection: Collection = None,
    shield: ShieldApi = SHIELD,
) -> ToolResult:
    """Ask the knowledge graph. The answer says whether an LLM wrote it or it is the
    retrieved context (entities, relations, passages) for you to reason over."""
    body = drop_none(query=query, mode=mode, collection=collection)
    answer = GraphAnswer.model_validate(await shield.call("POST", "/lightrag/query", json=body))
    return typed(answer, graph_text(answer))


TOOLS = (Tool(lightrag_query, "lightrag_query", reads("Ask the knowledge graph"), GraphAnswer),)
