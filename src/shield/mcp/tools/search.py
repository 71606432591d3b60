"""Finding passages and storing text: `qdrant_find`, `qdrant_store`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastmcp.tools.base import ToolResult
from pydantic import BaseModel, Field

from shield import apiclient
from shield.fields import CreateCollection
from shield.mcp.api import ShieldApi, request
from shield.mcp.results import SearchAnswer, passage, search_text, stored, typed
from shield.mcp.tools.common import SHIELD, Collection, Metadata, Tool, reads, writes
from shield.schemas import (
    MAX_OFFSET,
    MAX_SEARCH_LIMIT,
    MAX_STORE_BATCH,
    SearchRequest,
    StoreBatchResponse,
    StoreRequest,
)


class StoreText(BaseModel):
    text: str = Field(min_length=1, description="The text to remember.")
    source: str | None = Field(default=None, description="Where it comes from (its identity).")
    metadata: Metadata = None


async def qdrant_find(
    query: Annotated[str, Field(description="What to look for, in plain words.")],
    collection: Collection = None,
    limit: Annotated[
        int,
        Field(
            ge=1, le=MAX_SEARCH_LIMIT, description="Results, best first (documents when grouped)."
        ),
    ] = 10,
    mode: Annotated[
        Literal["hybrid", "dense", "lexical"] | None,
        Field(
            description="hybrid (default): meaning and exact words together; dense: meaning "
            "alone; lexical: exact words alone, for codes, names and rare terms."
        ),
    ] = None,
    group_by: Annotated[
        Literal["document"] | None,
        Field(description='"document": only the best passage of each document.'),
    ] = None,
    offset: Annotated[
        int, Field(ge=0, le=MAX_OFFSET, description="Results to skip, for the next page.")
    ] = 0,
    score_threshold: Annotated[
        float | None, Field(ge=0, description="Leave out results scoring below it.")
    ] = None,
    filter: Annotated[
        dict[str, Any] | None,
        Field(description='Conditions that must all hold, e.g. {"metadata.team": "ops"}.'),
    ] = None,
    verbose: Annotated[
        bool,
        Field(description="Also each passage's metadata and Shield's own fields (ids, hashes)."),
    ] = False,
    shield: ShieldApi = SHIELD,
) -> ToolResult:
    """Search the knowledge base by meaning and by exact words; returns passages with their
    source, title and heading path. For questions a passage answers on its own; how named
    things relate across documents is lightrag_query's."""
    body = request(
        SearchRequest,
        query=query,
        collection=collection,
        limit=limit,
        mode=mode,
        group_by=group_by,
        offset=offset or None,
        score_threshold=score_threshold,
        filter=filter,
    )
    found = await shield.send(apiclient.search(body))
    answer = SearchAnswer(
        collection=found.collection,
        mode=found.mode,
        results=[passage(hit, verbose) for hit in found.results],
    )
    return typed(answer, search_text(answer))


async def qdrant_store(
    text: Annotated[str | None, Field(description="The text to remember.")] = None,
    metadata: Metadata = None,
    collection: Collection = None,
    create_collection: CreateCollection = False,
    texts: Annotated[
        list[StoreText] | None,
        Field(
            description="Several texts at once instead of `text`, each with its own source "
            f"and metadata (at most {MAX_STORE_BATCH}).",
            max_length=MAX_STORE_BATCH,
        ),
    ] = None,
    shield: ShieldApi = SHIELD,
) -> StoreBatchResponse:
    """Store a piece of text now (or several), so that qdrant_find can find it."""
    items = [item.model_dump(exclude_none=True) for item in texts] if texts else None
    body = request(
        StoreRequest,
        text=text,
        metadata=metadata,
        collection=collection,
        create_collection=create_collection or None,
        texts=items,
    )
    return stored(await shield.send(apiclient.store(body)))


TOOLS = (
    Tool(qdrant_find, "qdrant_find", reads("Search the knowledge base"), SearchAnswer),
    Tool(
        qdrant_store,
        "qdrant_store",
        writes("Store text", replaces=True, idempotent=True, open_world=False),
    ),
)
