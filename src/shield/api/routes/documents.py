"""Documents and collections in the vector store: list, look up, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from shield.api import examples
from shield.api.deps import ServicesDep, collection_or_default
from shield.api.openapi import error_responses
from shield.documents.models import DocumentSummary
from shield.errors import NotFound
from shield.fields import COLLECTION_NAME_PATTERN

router = APIRouter(tags=["documents"])
CollectionQuery = Annotated[str | None, Query(pattern=COLLECTION_NAME_PATTERN)]


@router.get(
    "/collections",
    summary="Collections with their size, model and dimension",
    responses=examples.answer(examples.COLLECTIONS),
)
def list_collections(services: ServicesDep) -> dict[str, list[dict[str, Any]]]:
    return {"collections": services.index.collections()}


@router.get(
    "/documents",
    summary="Documents in a collection",
    responses={**examples.answer(examples.DOCUMENTS), **error_responses(404)},
)
def list_documents(services: ServicesDep, collection: CollectionQuery = None) -> dict[str, Any]:
    name = collection_or_default(services, collection)
    return {"collection": name, "documents": services.index.list_documents(name)}


@router.get(
    "/documents/{document_id}",
    summary="One document's summary",
    responses={**examples.answer(examples.DOCUMENT), **error_responses(404)},
)
def get_document(
    document_id: str, services: ServicesDep, collection: CollectionQuery = None
) -> DocumentSummary:
    name = collection_or_default(services, collection)
    summary = services.index.get(name, document_id)
    if summary is None:
        raise NotFound(f"document {document_id} is not in collection {name!r}")
    return summary


@router.delete(
    "/documents/{document_id}",
    summary="Delete a document and all its chunks",
    responses={**examples.answer(examples.DELETED), **error_responses(404)},
)
def delete_document(
    document_id: str, services: ServicesDep, collection: CollectionQuery = None
) -> dict[str, Any]:
    name = collection_or_default(services, collection)
    chunks = services.index.delete(name, document_id)
    return {
        "deleted": document_id,
        "collection": name,
        "chunks": chunks,
        "graph": services.lightrag.forget(name, document_id),
    }
