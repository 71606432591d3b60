"""What the tool modules share: how a tool is described for registration, its client of
shield-api and its settings (injected by FastMCP, or passed by a test), and the parameter types
and annotations several tools use."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastmcp import FastMCP
from fastmcp.dependencies import CurrentContext, CurrentFastMCP, Depends
from fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from shield.config import McpSettings
from shield.mcp.api import ShieldApi


@dataclass(frozen=True)
class Tool:
    """A tool function and what its registration says of it: its name, its annotations (a tool
    that writes is left out of a read-only server), the model of its structured answer when it
    answers a ToolResult, and whether a client may run it as an MCP task."""

    fn: Callable[..., Awaitable[Any]]
    name: str
    annotations: ToolAnnotations
    output: type[BaseModel] | None = None
    task: bool = False


@dataclass(frozen=True)
class _Served:
    api: ShieldApi
    settings: McpSettings


_SERVERS: weakref.WeakKeyDictionary[FastMCP, _Served] = weakref.WeakKeyDictionary()


def bind(server: FastMCP, api: ShieldApi, settings: McpSettings) -> None:
    """Give the tools of `server` their client of shield-api and their settings."""
    _SERVERS[server] = _Served(api, settings)


_CURRENT_SERVER: FastMCP = CurrentFastMCP()  # the server the call came to


def _shield_api(server: FastMCP = _CURRENT_SERVER) -> ShieldApi:
    return _SERVERS[server].api


def _settings(server: FastMCP = _CURRENT_SERVER) -> McpSettings:
    return _SERVERS[server].settings


# Defaults of the tools' own parameters, filled in by FastMCP and left out of their schemas.
SHIELD: ShieldApi = Depends(_shield_api)
SETTINGS: McpSettings = Depends(_settings)
CURRENT_CONTEXT = CurrentContext()  # the call's MCP context, for its progress notifications

Collection = Annotated[
    str | None, Field(description="Collection to use; the server's default when omitted.")
]
Metadata = Annotated[
    dict[str, Any] | None, Field(description="Your own fields, kept with every chunk.")
]


def reads(title: str) -> ToolAnnotations:
    """Looks, changes nothing: a client may call it without asking."""
    return ToolAnnotations(
        title=title,
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=False,
    )


def writes(title: str, *, replaces: bool, idempotent: bool, open_world: bool) -> ToolAnnotations:
    """Changes the knowledge base; `replaces`: may overwrite or remove what is there (a document
    of the same source is replaced); `open_world`: reaches the web on the caller's behalf."""
    return ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=replaces,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


def drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def checked_job_id(job_id: str) -> str:
    if not job_id.isalnum():
        raise ToolError("job_id is the 32-character id an ingest tool returned")
    return job_id
