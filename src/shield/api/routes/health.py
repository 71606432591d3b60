"""Liveness, readiness per dependency, and Prometheus metrics."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shield import __version__
from shield.api import examples
from shield.api.caller import Caller
from shield.api.deps import ServicesDep, authenticate
from shield.api.openapi import error_responses
from shield.metrics import QUEUE_SIZE
from shield.sources.metrics import export as export_source_metrics

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive", responses=examples.answer(examples.HEALTH))
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def _probe(check: Callable[[], Any]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - start) * 1000, 2)}


@router.get(
    "/readyz",
    summary="Every dependency is reachable (503 otherwise)",
    responses={
        **examples.answer(examples.READY),
        503: {"description": "A dependency is not reachable; `checks` says which."},
    },
)
def readyz(services: ServicesDep) -> JSONResponse:
    checks = {
        "redis": _probe(services.redis.ping),
        "vector_store": _probe(services.store.list_collections),
        "embedder": _probe(lambda: services.embedder.dimension),
    }
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **error_responses(401),
    },
)
def metrics(services: ServicesDep, caller: Annotated[Caller, Depends(authenticate)]) -> Response:
    """Needs scope `admin` (Prometheus scrapes with SHIELD_API_TOKEN)."""
    caller.require_admin()
    # A scrape must not fail because Redis is down; the gauge keeps its last value.
    with contextlib.suppress(Exception):
        for queue in services.queue.queues:
            QUEUE_SIZE.labels(queue.name).set(queue.count)
        export_source_metrics(services.sources.list())
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
