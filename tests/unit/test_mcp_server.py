"""Read-only mode registers no tool that writes; calls past the concurrency limit are refused."""

from __future__ import annotations

import asyncio

import pytest
from fastmcp.exceptions import ToolError
from prometheus_client import REGISTRY

from shield.config import McpSettings
from shield.mcp.server import CallLimiter, build_server

WRITE_TOOLS = {"qdrant_store", "ingest_doc", "crawl_web", "delete_document"}


def tool_names(read_only: bool) -> set[str]:
    server = build_server(McpSettings(read_only=read_only))
    return {tool.name for tool in asyncio.run(server.list_tools())}


def test_read_only_mode_has_no_write_tools() -> None:
    assert tool_names(read_only=False) >= WRITE_TOOLS
    read_only = tool_names(read_only=True)
    assert not WRITE_TOOLS & read_only
    assert {"qdrant_find", "get_job_status", "list_documents", "list_collections"} <= read_only


def test_calls_past_the_limit_are_refused_at_once() -> None:
    def rejected() -> float:
        value = REGISTRY.get_sample_value("shield_tool_rejections_total", {"tool": "qdrant_find"})
        return value or 0.0

    limiter = CallLimiter(limit=1)
    before = rejected()

    async def scenario() -> None:
        async with limiter.slot("qdrant_find"):
            with pytest.raises(ToolError, match="retry_after: 1 s"):
                async with limiter.slot("qdrant_find"):
                    pass  # pragma: no cover - never entered
        async with limiter.slot("qdrant_find"):  # free again once the first call is done
            assert limiter.running == 1

    asyncio.run(scenario())
    assert rejected() == before + 1
    assert limiter.running == 0
