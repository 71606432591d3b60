"""shield-lightrag: the knowledge graph as an HTTP service (default port 8090).

It alone owns LightRAG's working state (`<data dir>/lightrag`, one workspace per collection).
Workers put documents' chunks in (and ask whether it holds one), shield-api deletes documents
and forwards questions. Every route but `/healthz` demands `SHIELD_LIGHTRAG_TOKEN` when one is
set.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shield import __version__
from shield.config import LightragSettings, secret_value
from shield.embeddings import Embedder, build_embedder
from shield.errors import InvalidInput, NotFound, ShieldError
from shield.fields import CollectionName
from shield.graph.vectors import decode_vector
from shield.graph_service.engine import ANSWER_PASSAGES, GraphEngine
from shield.graph_service.llm import ChatLLM, register_cache_metrics
from shield.graph_service.state import router as state_router
from shield.logging import get_logger
from shield.metrics import LIGHTRAG_OPERATIONS
from shield.web.auth import bearer_guard
from shield.web.errors import install_error_handlers
from shield.web.query import reject_unknown_query

log = get_logger(__name__)
T = TypeVar("T")
MAX_CHUNKS = 20_000


class DocumentChunks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(default="", max_length=2048)
    chunks: list[Annotated[str, Field(max_length=100_000)]] = Field(
        min_length=1, max_length=MAX_CHUNKS
    )


MAX_BATCH_DOCUMENTS = 256
MAX_VECTOR_CHARS = 65_536  # base64 of 12,288 float32 dimensions
MAX_BATCH_DELETES = 1000


class BatchDocument(DocumentChunks):
    document_id: str = Field(min_length=1, max_length=128)
    # Each chunk's vector as the vector store holds it (base64 of float32), and its model's name:
    # the graph uses them instead of embedding the chunks again when its own model is that one.
    vectors: list[Annotated[str, Field(max_length=MAX_VECTOR_CHARS)]] | None = Field(
        default=None, max_length=MAX_CHUNKS
    )
    model: str | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _one_vector_a_chunk(self) -> BatchDocument:
        if self.vectors is not None and len(self.vectors) != len(self.chunks):
            raise ValueError(
                f"document {self.document_id} has {len(self.chunks)} chunks and "
                f"{len(self.vectors)} vectors: give one vector a chunk, or none"
            )
        return self

    def known_vectors(self, embedder: Embedder) -> list[npt.NDArray[np.float32]] | None:
        """The vectors, if `embedder` is the model that made them (InvalidInput if malformed)."""
        if self.vectors is None or self.model != embedder.model_name:
            return None
        try:
            return [decode_vector(v, embedder.dimension) for v in self.vectors]
        except ValueError as exc:
            raise InvalidInput(f"document {self.document_id}: {exc}") from exc


class GraphBatch(BaseModel):
    """Documents to take in (each replacing its earlier version) and documents to forget."""

    model_config = ConfigDict(extra="forbid")

    documents: list[BatchDocument] = Field(default_factory=list, max_length=MAX_BATCH_DOCUMENTS)
    delete: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=MAX_BATCH_DELETES
    )

    @model_validator(mode="after")
    def _bounded(self) -> GraphBatch:
        if sum(len(d.chunks) for d in self.documents) > MAX_CHUNKS:
            raise ValueError(f"a batch holds at most {MAX_CHUNKS} chunks in all")
        if len({d.document_id for d in self.documents}) < len(self.documents):
            raise ValueError("a batch names each document once")
        return self


class GraphQueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=4096)
    mode: Literal["naive", "local", "global", "hybrid", "mix", "hops"] = "hybrid"
    collection: CollectionName = "shield"
    top_k: int = Field(default=20, ge=1, le=200)
    limit: int = Field(default=ANSWER_PASSAGES, ge=1, le=50)


class GraphRelationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=512)
    target: str = Field(min_length=1, max_length=512)
    collection: CollectionName = "shield"
    limit: int = Field(default=10, ge=1, le=100)


OPERATIONS = ("insert", "delete", "query")
OPERATION_STATUSES = ("ok", "rejected", "error")


async def counted(operation: str, work: Awaitable[T]) -> T:
    status = "error"
    try:
        result = await work
        status = "ok"
        return result
    except ShieldError as exc:
        status = "rejected" if exc.status_code < 500 else "error"
        raise
    finally:
        LIGHTRAG_OPERATIONS.labels(operation, status).inc()


def get_engine(request: Request) -> GraphEngine:
    engine: GraphEngine = request.app.state.engine
    return engine


require_token = bearer_guard(
    lambda request: request.app.state.settings.lightrag_token, "SHIELD_LIGHTRAG_TOKEN"
)


Engine = Annotated[GraphEngine, Depends(get_engine)]


def create_app(settings: LightragSettings, embedder: Embedder | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        folder = settings.data_dir / "lightrag"
        folder.mkdir(parents=True, exist_ok=True)
        llm = None
        if settings.llm_provider != "none":
            llm = ChatLLM(
                settings.llm_provider,
                settings.llm_url,
                settings.llm_model,
                secret_value(settings.llm_api_key),
                settings.llm_timeout,
                settings.llm_retries,
            )
        app.state.engine = GraphEngine(
            folder,
            embedder or build_embedder(settings, "lightrag"),
            llm=_as_function(llm) if llm else None,
            llm_concurrency=settings.llm_max_concurrency,
        )
        register_cache_metrics()
        for operation in OPERATIONS:  # at 0 from the start: the first failure shows in rate()
            for status in OPERATION_STATUSES:
                LIGHTRAG_OPERATIONS.labels(operation, status)
        log.info("lightrag_started", data_dir=str(folder), llm=settings.llm_provider)
        yield
        await app.state.engine.close()
        if llm is not None:
            await llm.close()

    app = FastAPI(
        title="shield-lightrag",
        version=__version__,
        description="Shield's knowledge graph (LightRAG).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    protected = [Depends(require_token), Depends(reject_unknown_query)]

    @app.get("/healthz", dependencies=[Depends(reject_unknown_query)])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", dependencies=protected)
    async def readyz(graph: Engine) -> dict[str, Any]:
        started = time.perf_counter()
        await graph.rag("shield")
        return {"status": "ready", "llm": graph.has_llm, "latency_ms": _ms(started)}

    @app.get("/metrics", dependencies=protected)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.put("/collections/{collection}/documents/{document_id}", dependencies=protected)
    async def put_document(
        collection: CollectionName, document_id: str, body: DocumentChunks, graph: Engine
    ) -> dict[str, Any]:
        started = time.perf_counter()
        await counted("insert", graph.insert(collection, document_id, body.chunks))
        return {"document_id": document_id, "chunks": len(body.chunks), "ms": _ms(started)}

    @app.post("/collections/{collection}/batch", dependencies=protected)
    async def apply_batch(
        collection: CollectionName, body: GraphBatch, graph: Engine
    ) -> dict[str, Any]:
        """Many documents in one go: what shield-api's graph feeder sends. Each document's
        outcome is its own; a 5xx means the graph itself failed and nothing is settled."""
        started = time.perf_counter()
        known = {d.document_id: d.known_vectors(graph.embedder) for d in body.documents}
        outcomes = await counted(
            "insert",
            graph.apply(
                collection,
                {d.document_id: d.chunks for d in body.documents},
                body.delete,
                {doc_id: vectors for doc_id, vectors in known.items() if vectors is not None},
            ),
        )
        results = {
            doc_id: {
                "status": outcome.status,
                "error": outcome.error.message if outcome.error is not None else None,
            }
            for doc_id, outcome in outcomes.items()
        }
        return {"results": results, "ms": _ms(started)}

    @app.get("/collections/{collection}/documents/{document_id}", dependencies=protected)
    async def get_document(
        collection: CollectionName, document_id: str, graph: Engine
    ) -> dict[str, Any]:
        if not await graph.holds(collection, document_id):
            raise NotFound(f"the graph of {collection!r} does not hold document {document_id}")
        return {"document_id": document_id, "status": "processed"}

    @app.delete("/collections/{collection}/documents/{document_id}", dependencies=protected)
    async def delete_document(
        collection: CollectionName, document_id: str, graph: Engine
    ) -> dict[str, Any]:
        deleted = await counted("delete", graph.delete(collection, document_id))
        return {"document_id": document_id, "deleted": deleted}

    app.include_router(state_router, dependencies=protected)

    @app.post("/query", dependencies=protected)
    async def query(body: GraphQueryBody, graph: Engine) -> dict[str, Any]:
        started = time.perf_counter()
        answer = await counted(
            "query",
            graph.query(body.collection, body.query, body.mode, body.top_k, body.limit),
        )
        return {**asdict(answer), "ms": _ms(started)}

    @app.post("/relation", dependencies=protected)
    async def relation(body: GraphRelationBody, graph: Engine) -> dict[str, Any]:
        """A relation between two entities and the passages LightRAG found it in."""
        return await counted(
            "query", graph.relation(body.collection, body.source, body.target, body.limit)
        )

    return app


def _as_function(llm: ChatLLM) -> Callable[..., Awaitable[str]]:
    # A function, not a bound method: LightRAG deep-copies its configuration, and a bound
    # method would drag the HTTP client (and its locks) into the copy.
    async def complete(*args: Any, **kwargs: Any) -> str:
        return await llm.complete(*args, **kwargs)

    return complete


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
