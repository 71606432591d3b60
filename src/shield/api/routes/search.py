"""`POST /search` (qdrant_find) and `POST /store` (qdrant_store)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from shield.access.scopes import Access
from shield.api import examples
from shield.api.deps import (
    CallerDep,
    ServicesDep,
    collection_or_default,
    ensure_collection,
    write_target,
)
from shield.api.graphstate import graph_put
from shield.api.openapi import error_responses
from shield.documents.identity import canonical_source, document_id, text_source
from shield.documents.index import Search, parse_filter
from shield.documents.models import SourceDocument, StoredPassage
from shield.documents.writing import document_write, embedded, text_passages
from shield.errors import InvalidInput, PayloadTooLarge
from shield.schemas import (
    SearchHit,
    SearchRequest,
    SearchResponse,
    StoreBatchResponse,
    StoreItem,
    StoreRequest,
    StoreResponse,
)

router = APIRouter(tags=["search"])
_HIT_FIELDS = {"text", "document_id", "source"}


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Hybrid, dense or lexical search, best first",
    responses={**examples.answer(examples.SEARCH_RESPONSE), **error_responses(400, 404, 409, 413)},
)
def search(
    body: Annotated[SearchRequest, Body(openapi_examples=examples.SEARCH)],
    services: ServicesDep,
    caller: CallerDep,
) -> SearchResponse:
    collection = collection_or_default(services, body.collection)
    caller.require(Access.READ, collection)
    request = Search(
        query=body.query,
        mode=body.mode,
        limit=body.limit,
        offset=body.offset,
        score_threshold=body.score_threshold,
        where=parse_filter(body.filter),
        group_by=body.group_by,
    )
    found = services.index.search(collection, request)
    return SearchResponse(
        collection=collection,
        mode=found.mode,
        results=[_hit(hit.id, hit.score, hit.payload) for hit in found.hits],
    )


def _hit(point_id: str, score: float, payload: dict[str, Any]) -> SearchHit:
    passage = StoredPassage.model_validate(payload)
    return SearchHit(
        id=point_id,
        score=score,
        text=passage.text,
        document_id=passage.document_id,
        source=passage.source,
        title=passage.title,
        headings=passage.headings,
        # Everything else the store keeps, as stored (`verbose` answers show it).
        metadata={k: v for k, v in payload.items() if k not in _HIT_FIELDS},
    )


@router.post(
    "/store",
    response_model=StoreResponse | StoreBatchResponse,
    summary="Store one text, or several, now",
    responses={**examples.answer(examples.STORE_RESPONSE), **error_responses(400, 404, 409, 413)},
)
def store(
    body: Annotated[StoreRequest, Body(openapi_examples=examples.STORE)],
    services: ServicesDep,
    caller: CallerDep,
) -> StoreResponse | StoreBatchResponse:
    caller.require(Access.WRITE, collection_or_default(services, body.collection))
    limit = services.settings.max_store_chars
    items = body.items()
    for number, item in enumerate(items, 1):
        if len(item.text) > limit:
            which = f"text {number} of {len(items)}" if body.texts else "the text"
            raise PayloadTooLarge(
                f"{which} has {len(item.text)} characters; /store takes at most {limit} per text "
                "(SHIELD_MAX_STORE_CHARS); use /ingest-async for long documents"
            )
    collection = write_target(services, caller, body.collection, body.create_collection)
    documents = [_document(item) for item in items]
    pieces = [text_passages(services.chunker, item.text) for item in items]
    for number, passages in enumerate(pieces, 1):
        if not passages:
            which = f"text {number} of {len(items)}" if body.texts else "the text"
            raise InvalidInput(f"{which} has nothing but blanks: there is no text to store")
    # One call to the model for every chunk of every text: a batch costs little more than one.
    vectors = services.embedder.embed([chunk.text for chunks in pieces for chunk in chunks])
    ensure_collection(services, collection)
    stored = []
    start = 0
    for document, passages in zip(documents, pieces, strict=True):
        chunks = embedded(passages, vectors[start : start + len(passages)])
        start += len(passages)
        doc_id = document_id(collection, document.source)
        write = document_write(document, services.embedder.model_name, chunks)
        summary = graph_put(services, services.index.replace(collection, doc_id, write))
        stored.append(
            StoreResponse(
                id=doc_id,
                document_id=doc_id,
                source=document.source,
                collection=collection,
                chunks=summary.chunks,
            )
        )
    if body.texts is None:
        return stored[0]
    return StoreBatchResponse(collection=collection, documents=stored)


def _document(item: StoreItem) -> SourceDocument:
    """A text to store as the pipeline reads one: its source (given, in its metadata, or made
    from the text), its title (from its metadata), its metadata."""
    metadata = item.metadata or {}
    given = canonical_source(item.source or str(metadata.get("source", "")))
    return SourceDocument(
        source=given or text_source(item.text),
        text=item.text,
        title=str(metadata.get("title", "")),
        metadata=metadata,
    )
