"""Read-only mode registers no tool that writes."""

from __future__ import annotations

import asyncio

from shield.config import McpSettings
from shield.mcp.server import build_server

WRITE_TOOLS = {"qdrant_store", "ingest_doc", "delete_document"}


def tool_names(read_only: bool) -> set[str]:
    server = build_server(McpSettings(read_only=read_only))
    return {tool.name for tool in asyncio.run(server.list_tools())}


def test_read_only_mode_has_no_write_tools() -> None:
    assert tool_names(read_only=False) >= WRITE_TOOLS
    read_only = tool_names(read_only=True)
    assert not WRITE_TOOLS & read_only
    assert {"qdrant_find", "get_job_status", "list_documents", "list_collections"} <= read_only
