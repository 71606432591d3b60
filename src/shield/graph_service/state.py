"""`GET /state` and `PUT /state` of shield-lightrag: the whole graph as LightRAG keeps it, for
shield-api's backups and restores (docs/guides/BACKUP.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from shield.graph_service.engine import GraphEngine

router = APIRouter()


def _engine(request: Request) -> GraphEngine:
    engine: GraphEngine = request.app.state.engine
    return engine


def _scratch(request: Request, kind: str) -> Path:
    """A new private file beside the graph's folder (the same disk: no copy across devices)."""
    folder = _engine(request).data_dir.parent
    handle, name = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tar", dir=folder)
    os.close(handle)
    return Path(name)


@router.get("/state")
async def get_state(request: Request) -> FileResponse:
    """Every collection's graph (a tar), taken between writes."""
    target = _scratch(request, "state")
    try:
        await _engine(request).snapshot(target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return FileResponse(
        target, media_type="application/x-tar", background=BackgroundTask(target.unlink)
    )


@router.put("/state")
async def put_state(request: Request) -> dict[str, Any]:
    """Restore the graph from what GET /state gave; 409, with nothing changed, unless the graph
    is empty."""
    source = _scratch(request, "restore")
    try:
        with source.open("wb") as out:
            async for block in request.stream():
                out.write(block)
        return {"collections": await _engine(request).restore(source)}
    finally:
        source.unlink(missing_ok=True)
