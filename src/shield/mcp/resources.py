"""shield-mcp's resources: what an assistant (or its user) can read without calling a tool, at
stable `shield://` URIs.

    shield://collections                                          the collections
    shield://collections/{collection}/documents                   a collection's documents
    shield://collections/{collection}/documents/{document_id}     a document's whole text
    shield://jobs/{job_id}                                        a job, as it stands now

A job can also be listened to, to hear of each change (`shield.mcp.subscriptions`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec

from fastmcp import FastMCP
from fastmcp.exceptions import ResourceError, ToolError
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from shield import apiclient
from shield.mcp.api import ApiRefused, ShieldApi

P = ParamSpec("P")
JSON = "application/json"


#: JSON-RPC's code for a resource that does not exist (the MCP specification's).
RESOURCE_NOT_FOUND = -32002


def _read(fn: Callable[P, Awaitable[str]]) -> Callable[P, Awaitable[str]]:
    """shield-api's refusal as the resource's own error: an unknown collection, document or job
    is -32002 (not found), a bad name the resource error with shield-api's reason."""

    @functools.wraps(fn)
    async def read(*args: P.args, **kwargs: P.kwargs) -> str:
        try:
            return await fn(*args, **kwargs)
        except ApiRefused as exc:
            if exc.status == 404:
                raise MCPError(RESOURCE_NOT_FOUND, str(exc)) from None
            raise ResourceError(str(exc)) from None
        except ToolError as exc:
            raise ResourceError(str(exc)) from None

    return read


def _json(answer: BaseModel) -> str:
    return answer.model_dump_json(indent=2)


def add_resources(mcp: FastMCP, shield: ShieldApi) -> None:
    @mcp.resource("shield://collections", name="collections", mime_type=JSON)
    @_read
    async def collections() -> str:
        """The collections, with their passages, embedding model and indexes."""
        collections = await shield.send(apiclient.list_collections())
        return _json(collections)

    @mcp.resource("shield://collections/{collection}/documents", name="documents", mime_type=JSON)
    @_read
    async def documents(collection: str) -> str:
        """A collection's documents: source, title, passages, graph state."""
        page = await shield.send(apiclient.list_documents(collection))
        return _json(page)

    @mcp.resource(
        "shield://collections/{collection}/documents/{document_id}",
        name="document",
        mime_type="text/markdown",
    )
    @_read
    async def document(collection: str, document_id: str) -> str:
        """A document's whole text, put back together from its passages in order."""
        found = await shield.send(apiclient.document_text(document_id, collection))
        return found.text

    @mcp.resource("shield://jobs/{job_id}", name="job", mime_type=JSON)
    @_read
    async def job(job_id: str) -> str:
        """A job as it stands now: status, stage, progress, each document's outcome. Subscribe
        to it (`resources/subscribe`, or `subscriptions/listen` on protocol 2026-07-28) to hear
        each change until it ends."""
        if not job_id.isalnum():
            raise ToolError(f"{job_id!r} is not a job id: the job_id an ingest tool returned")
        state = await shield.send(apiclient.get_job(job_id))
        return _json(state)
