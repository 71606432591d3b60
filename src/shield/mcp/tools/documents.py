"""The documents and collections: `list_documents`, `delete_document`, `list_collections`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shield import apiclient
from shield.mcp.api import ShieldApi
from shield.mcp.tools.common import SHIELD, Collection, Tool, reads, writes
from shield.schemas import MAX_DOCUMENTS_LISTED, CollectionList, DocumentDeleted, DocumentPage


async def list_documents(
    collection: Collection = None,
    limit: Annotated[
        int,
        Field(ge=1, le=MAX_DOCUMENTS_LISTED, description="Documents in this page, by source."),
    ] = 50,
    offset: Annotated[
        int, Field(ge=0, le=MAX_DOCUMENTS_LISTED, description="next_offset of the previous page.")
    ] = 0,
    shield: ShieldApi = SHIELD,
) -> DocumentPage:
    """The documents in a collection, with their sources, chunk counts and graph state, a
    page at a time (total says how many there are)."""
    return await shield.send(apiclient.list_documents(collection, limit, offset or None))


async def delete_document(
    document_id: Annotated[str, Field(description="The document_id to delete.")],
    collection: Collection = None,
    shield: ShieldApi = SHIELD,
) -> DocumentDeleted:
    """Delete a document and all its chunks."""
    return await shield.send(apiclient.delete_document(document_id, collection))


async def list_collections(shield: ShieldApi = SHIELD) -> CollectionList:
    """Collections with their size and embedding model."""
    return await shield.send(apiclient.list_collections())


TOOLS = (
    Tool(list_documents, "list_documents", reads("List documents")),
    Tool(
        delete_document,
        "delete_document",
        writes("Delete a document", replaces=True, idempotent=True, open_world=False),
    ),
    Tool(list_collections, "list_collections", reads("List collections")),
)
