"""`POST /backup` and `POST /restore`: the whole platform into one archive and back
(docs/guides/BACKUP.md)."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from shield.api import examples
from shield.api.backups import restore_backup, scratch_folder, take_backup
from shield.api.deps import CallerDep, ServicesDep
from shield.api.openapi import error_responses

router = APIRouter(tags=["admin"])
ARCHIVE_TYPE = "application/gzip"
UPLOAD_TYPE = "application/octet-stream"  # what a restore's body is declared as: any bytes


@router.post(
    "/backup",
    summary="Back up the platform: one archive of the vector store, job records and graph",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The archive (a gzip'd tar; its `manifest.json` comes first).",
            "content": {ARCHIVE_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(501),
    },
)
async def backup(services: ServicesDep, caller: CallerDep) -> FileResponse:
    """Each collection is taken with its writes held off for the moment its files are copied;
    the knowledge graph takes nothing in until the archive is written. Searches go on. Needs
    scope `admin`."""
    caller.require_admin()
    scratch = scratch_folder(services)
    try:
        archive, manifest = await asyncio.to_thread(take_backup, services, scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    caller.admin_action("backup_taken", collections=len(manifest.collections))
    return FileResponse(
        archive,
        media_type=ARCHIVE_TYPE,
        filename=archive.name,
        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True),
    )


@router.post(
    "/restore",
    summary="Restore a backup archive into an empty platform",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "An archive `POST /backup` gave, as the request body.",
            "content": {UPLOAD_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={**examples.answer(examples.RESTORED), **error_responses(409, 413)},
)
async def restore(request: Request, services: ServicesDep, caller: CallerDep) -> dict[str, Any]:
    """The whole archive is checked (its manifest, every file's size and checksum, paths that
    stay inside it, a Shield version and embedding model this platform can take) before anything
    changes: a refused archive changes nothing. 409 unless the platform is empty. Needs scope
    `admin`."""
    caller.require_admin()
    scratch = scratch_folder(services)
    try:
        archive = scratch / "upload.tar.gz"
        with archive.open("wb") as out:
            async for block in request.stream():
                out.write(block)
        restored = await asyncio.to_thread(restore_backup, services, archive, scratch)
        caller.admin_action("backup_restored")
        return restored
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
