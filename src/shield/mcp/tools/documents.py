"""The documents and collections: `list_documents`, `delete_document`, `list_collections`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shield.mcp.api import ShieldApi
from shield.mcp.results import Collections, DocumentDeleted, DocumentList
from shield.mcp.tools.common import SHIELD, Collection, Tool, drop_none, reads, writes


async def list_documents(
    collection: Collection = None,
    limit: Annotated[
        int, Field(ge=1, le=1000, description="Documents in this page, by source.")
    ] = 50,
    offset: Annotated[
        int, Field(ge=0, le=10_000, description="next_offset of the previous page.")
    ] = 0,
    shield: ShieldApi = SHIELD,
) -> DocumentList:
    """The documents in a collection, with their sources, chunk counts and graph state, a
    page at a time (total says how many there are)."""
    params = drop_none(collection=collection, limit=limit, offset=offset or None)
    return DocumentList.model_validate(await shield.call("GET", "/documents", params=params))


async def delete_document(
    document_id: Annotated[str, Field(description="The document_id to delete.")],
    collection: Collection = None,
    shield: ShieldApi = SHIELD,
) -> DocumentDeleted:
    """Delete a document and all its chunks."""
    params = drop_none(collection=collection)
    return DocumentDeleted.model_validate(
        await shield.call("DELETE", f"/documents/{document_id}", params=params)
    )


async def list_collections(shield: ShieldApi = SHIELD) -> Collections:
    """Collections with their size and embedding model."""
    return Collections.model_validate(await shield.call("GET", "/collections"))


TOOLS = (
    Tool(list_documents, "list_documents", reads("List documents")),
    Tool(
        delete_document,
        "delete_document",
        writes("Delete a document", replaces=True, idempotent=True, open_world=False),
    ),
    Tool(list_collections, "list_collections", reads("List collections")),
)
