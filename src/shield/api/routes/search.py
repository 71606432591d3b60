"""`POST /search` (qdrant_find) and `POST /store` (qdrant_store)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from shield.api import examples
from shield.api.deps import ServicesDep, collection_or_default
from shield.api.openapi import error_responses
from shield.api.schemas import SearchHit, SearchRequest, SearchResponse, StoreRequest, StoreResponse
from shield.documents.identity import canonical_source, content_hash, document_id, text_source
from shield.documents.index import parse_filter
from shield.documents.models import ChunkIn, DocumentWrite
from shield.errors import PayloadTooLarge

router = APIRouter(tags=["search"])
_HIT_FIELDS = {"text", "document_id", "source"}


@router.post(
    "/search",
    response_model=SearchResponse,
    summary="Semantic search, best first",
    responses={**examples.answer(examples.SEARCH_RESPONSE), **error_responses(400, 404, 409, 413)},
)
def search(
    body: Annotated[SearchRequest, Body(openapi_examples=examples.SEARCH)], services: ServicesDep
) -> SearchResponse:
    collection = collection_or_default(services, body.collection)
    where = parse_filter(body.filter)
    hits = services.index.search(collection, body.query, body.limit, where)
    return SearchResponse(
        results=[
            SearchHit(
                id=hit.id,
                score=hit.score,
                text=hit.payload.get("text", ""),
                document_id=hit.payload.get("document_id", ""),
                source=hit.payload.get("source", ""),
                metadata={k: v for k, v in hit.payload.items() if k not in _HIT_FIELDS},
            )
            for hit in hits
        ]
    )


@router.post(
    "/store",
    response_model=StoreResponse,
    summary="Store a piece of text now",
    responses={**examples.answer(examples.STORE_RESPONSE), **error_responses(400, 409, 413)},
)
def store(
    body: Annotated[StoreRequest, Body(openapi_examples=examples.STORE)], services: ServicesDep
) -> StoreResponse:
    limit = services.settings.max_store_chars
    if len(body.text) > limit:
        raise PayloadTooLarge(
            f"the text has {len(body.text)} characters; /store takes at most {limit} "
            "(SHIELD_MAX_STORE_CHARS); use /ingest-async for long documents"
        )
    collection = collection_or_default(services, body.collection)
    metadata = body.metadata or {}
    source = canonical_source(body.source or str(metadata.get("source", ""))) or text_source(
        body.text
    )
    doc_id = document_id(collection, source)
    texts = services.chunker.split(body.text) or [body.text]
    vectors = services.embedder.embed(texts)
    write = DocumentWrite(
        source=source,
        title=str(metadata.get("title", "")),
        content_hash=content_hash(body.text),
        embedding_model=services.embedder.model_name,
        metadata=metadata,
        chunks=[ChunkIn(text=t, vector=v.tolist()) for t, v in zip(texts, vectors, strict=True)],
    )
    summary = services.index.replace(collection, doc_id, write)
    return StoreResponse(
        id=doc_id, document_id=doc_id, source=source, collection=collection, chunks=summary.chunks
    )
