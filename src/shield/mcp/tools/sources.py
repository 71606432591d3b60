"""Sources kept in sync with a collection: `list_sources`, `sync_source` (sources are made and
changed by operators: `shield sources`, the API, Ansible)."""

from __future__ import annotations

from typing import Annotated

from fastmcp import Context
from fastmcp.exceptions import ToolError
from pydantic import Field

from shield import apiclient
from shield.config import McpSettings
from shield.mcp.api import ShieldApi
from shield.mcp.results import JobAccepted
from shield.mcp.tools.common import CURRENT_CONTEXT, SETTINGS, SHIELD, Tool, reads, writes
from shield.mcp.tools.ingest import Wait, queued
from shield.sources.models import SourceList, SyncRequest


async def list_sources(
    collection: Annotated[
        str | None, Field(description="Only this collection's sources; omitted, all you may read.")
    ] = None,
    shield: ShieldApi = SHIELD,
) -> SourceList:
    """The web sites, sitemaps and folders kept in sync with the knowledge base: where each
    reads from, how often, how many documents it keeps, and what its last sync did (when,
    added, changed, unchanged, removed, failed) and when the next one runs."""
    return await shield.send(apiclient.list_sources(collection))


async def sync_source(
    source_id: Annotated[str, Field(description="The source_id list_sources gave.")],
    force: Annotated[
        bool,
        Field(
            description="Remove what is gone from the source even past the share one sync may "
            "remove at once; only when the source really lost those pages or files."
        ),
    ] = False,
    wait: Wait = False,
    ctx: Context = CURRENT_CONTEXT,
    shield: ShieldApi = SHIELD,
    settings: McpSettings = SETTINGS,
) -> JobAccepted:
    """Sync a source now, to have its latest pages or files before answering: reads only what
    changed, removes what is gone; returns the job (of kind `sync`) at once, or at its end
    with `wait`. One sync of a source runs at a time."""
    if not source_id.isalnum():
        raise ToolError("source_id is the id list_sources gave (letters and digits)")
    body = SyncRequest(force=True) if force else None
    return await queued(shield, settings, ctx, wait, apiclient.sync_source(source_id, body))


TOOLS = (
    Tool(list_sources, "list_sources", reads("List sources kept in sync")),
    Tool(
        sync_source,
        "sync_source",
        # Removes what the source lost (destructive), reaches the web or the inbox (open world);
        # a second sync of an unchanged source changes nothing (idempotent).
        writes("Sync a source now", replaces=True, idempotent=True, open_world=True),
        task=True,
    ),
)
