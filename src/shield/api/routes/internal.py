"""Endpoints for workers only (Shield's own SHIELD_API_TOKEN, whatever scopes a named token
holds): shield-api stays the single writer of the vector store, and workers hand it whole
embedded documents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from shield.api.caller import Caller
from shield.api.deps import ServicesDep, authenticate
from shield.api.graphstate import graph_put, with_graph_state
from shield.documents.models import DocumentSummary, DocumentWrite
from shield.errors import NotFound
from shield.fields import COLLECTION_NAME_PATTERN


def _services_only(caller: Annotated[Caller, Depends(authenticate)]) -> None:
    caller.require_service()


router = APIRouter(
    prefix="/internal",
    tags=["internal"],
    include_in_schema=False,
    dependencies=[Depends(_services_only)],
)
Collection = Annotated[str, Path(pattern=COLLECTION_NAME_PATTERN)]


@router.get("/collections/{collection}/documents/{document_id}")
def get_document(
    collection: Collection, document_id: str, services: ServicesDep
) -> DocumentSummary:
    summary = services.index.get(collection, document_id)
    if summary is None:
        raise NotFound(f"document {document_id} is not in collection {collection!r}")
    return with_graph_state(services, collection, [summary])[0]


@router.put("/collections/{collection}/documents/{document_id}")
def put_document(
    collection: Collection, document_id: str, body: DocumentWrite, services: ServicesDep
) -> DocumentSummary:
    return graph_put(services, services.index.replace(collection, document_id, body))


@router.post("/collections/{collection}/documents/{document_id}/graph")
def requeue_graph(
    collection: Collection, document_id: str, services: ServicesDep
) -> DocumentSummary:
    """A stored document the graph lacks (it failed, or it was stored before the graph kept
    state): the graph takes it in again, without re-embedding it."""
    summary = services.index.get(collection, document_id)
    if summary is None:
        raise NotFound(f"document {document_id} is not in collection {collection!r}")
    return graph_put(services, summary)
