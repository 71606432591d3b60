"""`/sources`: web sites, sitemaps, folders and Git repositories kept in sync with a collection
(docs/guides/SOURCES.md). A source belongs to its collection: reading one needs scope `read`
there, making, changing, syncing or removing one needs `write`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request, Response, status

from shield.access.scopes import Access
from shield.api import examples
from shield.api.caller import Caller
from shield.api.deps import CallerDep, ServicesDep, write_target
from shield.api.graphstate import graph_forget
from shield.api.openapi import error_responses
from shield.api.routes.jobs import accepted
from shield.api.services import Services
from shield.documents.inbox import check_in_inbox
from shield.errors import Conflict
from shield.fields import CollectionName
from shield.schemas import JobAccepted
from shield.sources.models import (
    Source,
    SourceCreate,
    SourceDeleted,
    SourceList,
    SourceUpdate,
    SyncRequest,
)
from shield.sources.schedule import schedule, submit_sync

router = APIRouter(tags=["sources"])


def _source(services: Services, caller: Caller, source_id: str, access: Access) -> Source:
    source = services.call_redis(services.sources.require, source_id)
    caller.require(access, source.collection)
    return source


@router.post(
    "/sources",
    status_code=status.HTTP_201_CREATED,
    summary="Keep a web site, sitemap, folder or Git repository in sync with a collection",
    responses={**examples.answer(examples.SOURCE, 201), **error_responses(400, 404, 409)},
)
def create_source(
    body: Annotated[SourceCreate, Body(openapi_examples=examples.SOURCE_CREATE)],
    services: ServicesDep,
    caller: CallerDep,
) -> Source:
    """The source syncs by itself every `every` (its first sync then), or when asked
    (`POST /sources/{source_id}/sync`)."""
    collection = write_target(services, caller, body.collection)
    inbox = services.settings.inbox_dir
    if body.path is not None and inbox is not None:
        check_in_inbox(inbox, body.path)
    source = services.call_redis(services.sources.create, body, collection)
    if source.every is not None:
        services.call_redis(
            schedule, services.queue.queue, services.sources, source.source_id, None
        )
    return services.call_redis(services.sources.require, source.source_id)


@router.get(
    "/sources",
    summary="The sources the caller may read",
    responses=examples.answer(examples.SOURCES),
)
def list_sources(
    services: ServicesDep,
    caller: CallerDep,
    collection: Annotated[
        CollectionName | None, Query(description="Only this collection's sources.")
    ] = None,
) -> SourceList:
    if collection is not None:
        caller.require(Access.READ, collection)
    readable = caller.readable()
    sources = services.call_redis(services.sources.list, collection)
    return SourceList(sources=[s for s in sources if readable is None or s.collection in readable])


@router.get(
    "/sources/{source_id}",
    summary="One source, with its last sync and its next",
    responses={**examples.answer(examples.SOURCE), **error_responses(404)},
)
def get_source(source_id: str, services: ServicesDep, caller: CallerDep) -> Source:
    return _source(services, caller, source_id, Access.READ)


@router.patch(
    "/sources/{source_id}",
    summary="Change a source's schedule, options or name",
    responses={**examples.answer(examples.SOURCE), **error_responses(400, 404)},
)
def update_source(
    source_id: str,
    body: Annotated[SourceUpdate, Body(openapi_examples=examples.SOURCE_UPDATE)],
    services: ServicesDep,
    caller: CallerDep,
) -> Source:
    """`every: null` stops its schedule; a new `every` counts from now."""
    before = _source(services, caller, source_id, Access.WRITE)
    updated = services.call_redis(services.sources.update, source_id, body)
    if updated.every != before.every:
        services.call_redis(schedule, services.queue.queue, services.sources, source_id, None)
    return services.call_redis(services.sources.require, source_id)


@router.delete(
    "/sources/{source_id}",
    summary="Stop keeping a source in sync; its documents stay unless `documents=delete`",
    responses={**examples.answer(examples.SOURCE_DELETED), **error_responses(404, 409)},
)
def delete_source(
    source_id: str,
    services: ServicesDep,
    caller: CallerDep,
    documents: Annotated[
        Literal["keep", "delete"],
        Query(description="`keep` its documents in the collection, or `delete` them too."),
    ] = "keep",
) -> SourceDeleted:
    source = _source(services, caller, source_id, Access.WRITE)
    if source.syncing:
        raise Conflict(
            f"source {source_id} is syncing (job {source.syncing}); cancel the job or wait "
            "for it, then remove the source",
            job_id=source.syncing,
        )
    entries = services.call_redis(services.sources.entries, source_id)
    services.call_redis(services.sources.delete, source_id)
    services.call_redis(schedule, services.queue.queue, services.sources, source_id, None)
    deleted: list[str] = []
    if documents == "delete":
        for entry in entries.values():
            if services.index.delete(source.collection, entry.document_id):
                deleted.append(entry.document_id)
        graph_forget(services, source.collection, deleted)
    return SourceDeleted(deleted=source_id, documents_deleted=len(deleted))


@router.post(
    "/sources/{source_id}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    summary="Sync a source now; answers 202 with the job (of kind `sync`)",
    responses={**examples.answer(examples.JOB_ACCEPTED, 202), **error_responses(400, 404, 409)},
)
def sync_source(
    source_id: str,
    services: ServicesDep,
    caller: CallerDep,
    request: Request,
    response: Response,
    body: Annotated[SyncRequest | None, Body(openapi_examples=examples.SYNC)] = None,
) -> JobAccepted:
    """At most one sync of a source runs at a time: 409 names the one running."""
    source = _source(services, caller, source_id, Access.WRITE)
    force = body.force if body is not None else False
    state = services.call_redis(
        submit_sync, services.queue, services.sources, source, scheduled=False, force=force
    )
    return accepted(state, request, response)
