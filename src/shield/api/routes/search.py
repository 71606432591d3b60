"""`POST /search` (qdrant_find) and `POST /store` (qdrant_store)."""

from __future__ import annotations

from typing import Annotated

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
from shield.api.schemas import (
    SearchHit,
    SearchRequest,
    SearchResponse,
    StoreBatchResponse,
    StoreRequest,
    StoreResponse,
)
from shield.documents.identity import canonical_source, content_hash, document_id, text_source
from shield.documents.index import Search, parse_filter
from shield.documents.models import ChunkIn, DocumentWrite
from shield.errors import PayloadTooLarge

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
        results=[
            SearchHit(
                id=hit.id,
                score=hit.score,
                text=hit.payload.get("text", ""),
                document_id=hit.payload.get("document_id", ""),
                source=hit.payload.get("source", ""),
                title=hit.payload.get("title", ""),
                headings=hit.payload.get("headings", []),
                metadata={k: v for k, v in hit.payload.items() if k not in _HIT_FIELDS},
            )
            for hit in found.hits
        ],
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
    pieces = [services.chunker.split(item.text) or [item.text] for item in items]
    # One call to the model for every chunk of every text: a batch costs little more than one.
    vectors = iter(services.embedder.embed([text for texts in pieces for text in texts]))
    ensure_collection(services, collection)
    stored = []
    for item, texts in zip(items, pieces, strict=True):
        metadata = item.metadata or {}
        source = canonical_source(item.source or str(metadata.get("source", ""))) or text_source(
            item.text
        )
        doc_id = document_id(collection, source)
        write = DocumentWrite(
            source=source,
            title=str(metadata.get("title", "")),
            content_hash=content_hash(item.text),
            embedding_model=services.embedder.model_name,
            metadata=metadata,
            chunks=[ChunkIn(text=text, vector=next(vectors).tolist()) for text in texts],
        )
        summary = graph_put(services, services.index.replace(collection, doc_id, write))
        stored.append(
            StoreResponse(
                id=doc_id,
                document_id=doc_id,
                source=source,
                collection=collection,
                chunks=summary.chunks,
            )
        )
    if body.texts is None:
        return stored[0]
    return StoreBatchResponse(collection=collection, documents=stored)
