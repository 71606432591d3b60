"""Asking the knowledge graph: `lightrag_query`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastmcp.tools.base import ToolResult
from pydantic import Field

from shield import apiclient
from shield.mcp.api import ShieldApi, request
from shield.mcp.results import graph_text, typed
from shield.mcp.tools.common import SHIELD, Collection, Tool, reads
from shield.schemas import GRAPH_MAX_CHARS, GRAPH_PASSAGES, GraphAnswer, GraphQuery


async def lightrag_query(
    query: Annotated[str, Field(description="A question, in plain words.")],
    mode: Annotated[
        Literal["naive", "local", "global", "hybrid", "mix", "hops"],
        Field(
            description="naive: passages only; local: entities near the question; global: "
            "relations across the knowledge graph (an overview of the collection when none "
            "matches the question's themes); hybrid: both; mix: graph and passages; "
            "hops: from the entities the question names along their relations (one and two "
            "hops), for questions that link things across documents (the default: measured "
            "best on them, and as good as the others on one-hop questions)."
        ),
    ] = "hops",
    collection: Collection = None,
    limit: Annotated[
        int, Field(ge=1, le=50, description="Passages in the answer, at most (default 10).")
    ] = GRAPH_PASSAGES,
    max_chars: Annotated[
        int,
        Field(
            ge=1000,
            le=200_000,
            description="The answer's size at most; parts are left out to keep within it.",
        ),
    ] = GRAPH_MAX_CHARS,
    shield: ShieldApi = SHIELD,
) -> ToolResult:
    """Ask the knowledge graph: for questions about how named things relate (who built the
    place someone keeps, what links two people); qdrant_find serves questions a passage answers
    on its own. The answer gives numbered passages under their sources and document ids, and
    the entities and relations near the question citing them; it says whether an LLM wrote
    it (citing the passages by those numbers) or it is the retrieved context for you to
    reason over."""
    body = request(
        GraphQuery,
        query=query,
        mode=mode,
        collection=collection,
        limit=limit,
        max_chars=max_chars,
    )
    answer = await shield.send(apiclient.graph_query(body))
    return typed(answer, graph_text(answer))


TOOLS = (Tool(lightrag_query, "lightrag_query", reads("Ask the knowledge graph"), GraphAnswer),)
