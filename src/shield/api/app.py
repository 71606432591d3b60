"""Builds the shield-api application."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI

from shield import __version__
from shield.api.deps import authenticate, ensure_default_collection, restore_schedules
from shield.api.graphfeed import run_graph_feeder
from shield.api.indexer import run_indexer
from shield.api.middleware import BearerGate, RequestMiddleware
from shield.api.openapi import document_validation_errors, error_responses
from shield.api.routes import (
    admin,
    console,
    documents,
    graph,
    health,
    ingest,
    internal,
    jobs,
    search,
    sources,
    tokens,
)
from shield.api.routes.ingest import MULTIPART_OVERHEAD_BYTES
from shield.api.services import Services
from shield.config import ApiSettings
from shield.embeddings import Embedder
from shield.jobs.outcomes import initialise_job_metrics
from shield.jobs.reaper import run_reaper
from shield.logging import get_logger
from shield.vectorstore import VectorStore
from shield.web.errors import install_error_handlers
from shield.web.query import reject_unknown_query

log = get_logger(__name__)


def create_app(
    settings: ApiSettings,
    *,
    store: VectorStore | None = None,
    embedder: Embedder | None = None,
) -> FastAPI:
    """The app; `store` and `embedder` may be given ready-made (tests, benchmarks)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await asyncio.to_thread(Services.build, settings, store, embedder)
        await asyncio.to_thread(ensure_default_collection, services)
        await asyncio.to_thread(restore_schedules, services)
        initialise_job_metrics()
        app.state.services = services
        interval = max(1.0, settings.job_heartbeat_seconds / 3)
        reaper = asyncio.create_task(run_reaper(services.queue, interval))
        indexer = asyncio.create_task(run_indexer(services))
        feeder = asyncio.create_task(run_graph_feeder(services))
        log.info(
            "api_started", vector_store=services.store.backend, model=services.embedder.model_name
        )
        try:
            yield
        finally:
            for task in (reaper, indexer, feeder):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await services.aredis.aclose()
            await asyncio.to_thread(services.close)

    app = FastAPI(
        title="Shield API",
        version=__version__,
        description="Ingest documents, follow jobs, and search Shield's knowledge base.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    document_validation_errors(app)
    known_query = Depends(reject_unknown_query)
    protected = [Depends(authenticate), known_query]  # a 401 before anything else
    app.include_router(health.router, dependencies=[known_query], responses=error_responses(422))
    app.include_router(console.router, dependencies=[known_query])  # the page holds no data
    routers = (ingest, jobs, search, documents, sources, graph, admin, tokens, internal)
    for router in (module.router for module in routers):
        app.include_router(
            router, dependencies=protected, responses=error_responses(401, 403, 422, 503)
        )
    app.add_middleware(BearerGate)  # inside RequestMiddleware: its refusals are logged and counted
    app.add_middleware(
        RequestMiddleware,
        router_app=app.router,
        max_body=settings.max_body_bytes,
        path_limits={
            "/internal/": settings.internal_max_body_bytes,
            # The file itself plus the multipart envelope and the small form fields.
            "/ingest-async/upload": settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES,
            "/restore": settings.max_restore_bytes,
        },
    )
    return app
