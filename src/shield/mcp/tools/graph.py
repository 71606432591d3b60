"""Asking the knowledge graph: `lightrag_query`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastmcp.tools.base import ToolResult
from pydantic import Field

from shield import apiclient
from shield.mcp.api import ShieldApi, request
from shield.mcp.results import graph_text, typed
from shield.mcp.tools.common import SHIELD, Collection, Tool, reads
from shield.schemas import GraphAnswer, GraphQuery


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
    body = request(GraphQuery, query=query, mode=mode, collection=collection)
    answer = await shield.send(apiclient.graph_query(body))
    return typed(answer, graph_text(answer))


TOOLS = (Tool(lightrag_query, "lightrag_query", reads("Ask the knowledge graph"), GraphAnswer),)
