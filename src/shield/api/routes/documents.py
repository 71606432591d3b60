"""Documents and collections in the vector store: list, look up, delete, reindex."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response, status

from shield.access.scopes import Access
from shield.api import examples
from shield.api.caller import Caller
from shield.api.deps import CallerDep, CollectionQuery, ServicesDep, collection_or_default
from shield.api.graphstate import graph_forget, with_graph_state
from shield.api.openapi import error_responses
from shield.api.reindexing import submit_reindex
from shield.api.routes.jobs import accepted
from shield.api.services import Services
from shield.documents.models import DocumentSummary
from shield.documents.reassembly import reassemble_document
from shield.errors import InvalidInput, NotFound
from shield.fields import COLLECTION_NAME_PATTERN
from shield.schemas import (
    DOCUMENTS_PAGE,
    MAX_DOCUMENTS_LISTED,
    CollectionCreate,
    CollectionDeleted,
    CollectionInfo,
    CollectionList,
    DocumentDeleted,
    DocumentPage,
    DocumentText,
    JobAccepted,
)

router = APIRouter(tags=["documents"])


@router.get(
    "/collections",
    summary="Collections with their size, model and dimension (those the caller may read)",
    responses=examples.answer(examples.COLLECTIONS),
)
def list_collections(services: ServicesDep, caller: CallerDep) -> CollectionList:
    readable = caller.readable()
    collections = services.index.collections()
    if readable is not None:
        collections = [c for c in collections if c["name"] in readable]
    return CollectionList.model_validate({"collections": collections})


@router.post(
    "/collections",
    status_code=status.HTTP_201_CREATED,
    summary="Create an empty collection, choosing how its hybrid searches fuse",
    responses={
        **examples.answer(examples.COLLECTIONS["collections"][0], 201),
        **error_responses(400, 409),
    },
)
def create_collection(
    body: Annotated[CollectionCreate, Body(openapi_examples=examples.COLLECTION_CREATE)],
    services: ServicesDep,
    caller: CallerDep,
) -> CollectionInfo:
    """A writer of a collection may also make it with the defaults by sending
    `create_collection: true` with a write. Needs scope `admin`."""
    caller.require_admin()
    created = services.index.create_collection(body.name, body.fusion)
    caller.admin_action("collection_created", collection=body.name)
    return CollectionInfo.model_validate(created)


@router.delete(
    "/collections/{collection}",
    summary="Delete a collection: every document, and each one's part of the graph",
    responses={**examples.answer(examples.COLLECTION_DELETED), **error_responses(404)},
)
def delete_collection(
    collection: Annotated[str, Path(pattern=COLLECTION_NAME_PATTERN)],
    services: ServicesDep,
    caller: CallerDep,
    confirm: Annotated[
        str | None,
        Query(description="The collection's name again: nothing is deleted without it."),
    ] = None,
) -> CollectionDeleted:
    """The vector store's collection goes at once; with a knowledge graph, each document is
    forgotten there soon after (`graph`: `pending`, or `no graph`). `confirm` must repeat the
    collection's name, so that a mistyped or half-built URL deletes nothing. Needs scope
    `admin`."""
    caller.require_admin()
    if confirm != collection:
        raise InvalidInput(
            f"deleting collection {collection!r} removes every document in it: "
            f"repeat its name as confirm={collection}"
        )
    documents = services.index.delete_collection(collection)
    graph = graph_forget(services, collection, documents)
    caller.admin_action("collection_deleted", collection=collection, documents=len(documents))
    return CollectionDeleted(deleted=collection, documents=len(documents), graph=graph)


@router.post(
    "/collections/{collection}/reindex",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    summary="Add the lexical index to a collection built before it (a job)",
    responses={**examples.answer(examples.JOB_ACCEPTED, 202), **error_responses(404, 409)},
)
def reindex_collection(
    collection: Annotated[str, Path(pattern=COLLECTION_NAME_PATTERN)],
    services: ServicesDep,
    caller: CallerDep,
    request: Request,
    response: Response,
) -> JobAccepted:
    """Computes each passage's BM25 vector from its stored text and keeps its embedding, so the
    collection answers `hybrid` and `lexical` searches afterwards; `dense` searches keep working
    meanwhile and writes to the collection wait. A collection that has the index already is done
    at once. Needs scope `admin`."""
    caller.require_admin()
    job = submit_reindex(services, collection)
    caller.admin_action("reindex_started", collection=collection, job_id=job.job_id)
    return accepted(job, request, response)


@router.get(
    "/documents",
    summary="Documents in a collection",
    responses={**examples.answer(examples.DOCUMENTS), **error_responses(404)},
)
def list_documents(
    services: ServicesDep,
    caller: CallerDep,
    collection: CollectionQuery = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_DOCUMENTS_LISTED, description="Documents in this page.")
    ] = DOCUMENTS_PAGE,
    offset: Annotated[
        int,
        Query(ge=0, le=MAX_DOCUMENTS_LISTED, description="Documents to skip: `next_offset`."),
    ] = 0,
) -> DocumentPage:
    """Documents by source, a page at a time: `total` says how many there are, `next_offset`
    (null on the last page) where the next page starts."""
    name = collection_or_default(services, collection)
    caller.require(Access.READ, name)
    listed = services.index.list_documents(name)
    page = with_graph_state(services, name, listed[offset : offset + limit])
    following = offset + limit if offset + limit < len(listed) else None
    return DocumentPage(collection=name, documents=page, total=len(listed), next_offset=following)


def _found(
    services: Services, caller: Caller, collection: str | None, document_id: str
) -> tuple[str, DocumentSummary]:
    """The collection's name and the document's summary; 403 if the caller may not read the
    collection, 404 if the document is not there."""
    name = collection_or_default(services, collection)
    caller.require(Access.READ, name)
    summary = services.index.get(name, document_id)
    if summary is None:
        raise NotFound(f"document {document_id} is not in collection {name!r}")
    return name, summary


@router.get(
    "/documents/{document_id}",
    summary="One document's summary",
    responses={**examples.answer(examples.DOCUMENT), **error_responses(404)},
)
def get_document(
    document_id: str, services: ServicesDep, caller: CallerDep, collection: CollectionQuery = None
) -> DocumentSummary:
    name, summary = _found(services, caller, collection, document_id)
    return with_graph_state(services, name, [summary])[0]


@router.get(
    "/documents/{document_id}/text",
    summary="One document's whole text, put back together from its passages in order",
    response_model_exclude_none=True,
    responses={**examples.answer(examples.DOCUMENT_TEXT), **error_responses(404)},
)
def get_document_text(
    document_id: str,
    services: ServicesDep,
    caller: CallerDep,
    collection: CollectionQuery = None,
    passages: Annotated[
        bool, Query(description="Also each passage (chunk) as stored, in order.")
    ] = False,
) -> DocumentText:
    """The passages' overlaps are kept once, and each heading stands once, as a Markdown
    heading; the text is what was stored (Markdown for a converted file), not the original
    file."""
    name, summary = _found(services, caller, collection, document_id)
    stored = services.index.passages(name, document_id)
    return DocumentText(
        document_id=document_id,
        collection=name,
        source=summary.source,
        title=summary.title,
        chunks=len(stored),
        text=reassemble_document(stored),
        passages=[text for text, _ in stored] if passages else None,
    )


@router.delete(
    "/documents/{document_id}",
    summary="Delete a document and all its chunks (the graph forgets it soon after)",
    responses={**examples.answer(examples.DELETED), **error_responses(404)},
)
def delete_document(
    document_id: str, services: ServicesDep, caller: CallerDep, collection: CollectionQuery = None
) -> DocumentDeleted:
    name = collection_or_default(services, collection)
    caller.require(Access.WRITE, name)
    chunks = services.index.delete(name, document_id)
    return DocumentDeleted(
        deleted=document_id,
        collection=name,
        chunks=chunks,
        graph=graph_forget(services, name, [document_id]),
    )
