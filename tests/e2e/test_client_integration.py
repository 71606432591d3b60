"""The client configurations in docs/guides/CLIENT_INTEGRATION.md work as written: each JSON block
is read from the document and used to connect through the official MCP SDK."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.harness import TOKEN, ApiServer, WorkerProcess
from tests.e2e.mcp_harness import MCP_TOKEN, McpProcess, structured

pytestmark = pytest.mark.slow
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "CLIENT_INTEGRATION.md"


def config(name: str) -> dict[str, Any]:
    match = re.search(rf"```json {name}\n(.*?)```", GUIDE.read_text(), re.S)
    assert match, f"no ```json {name} block in {GUIDE.name}"
    return dict(json.loads(match[1])["mcpServers"]["shield"])


def test_claude_desktop_stdio_config(api: ApiServer, worker: WorkerProcess) -> None:
    server = config("claude-desktop-stdio")
    command = shutil.which(server["command"], path=str(Path(sys.executable).parent))
    assert command, "the `shield` command of this virtualenv"
    env = {**os.environ, **server["env"], "SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": TOKEN}
    params = StdioServerParameters(command=command, args=server["args"], env=env)

    async def run() -> dict[str, Any]:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return structured(await session.call_tool("list_collections", {}))

    assert "collections" in asyncio.run(run())


def test_cursor_http_config(api: ApiServer, worker: WorkerProcess, tmp_path: Path) -> None:
    server = config("cursor-http")
    mcp = McpProcess(api, tmp_path / "mcp.log")
    try:
        url = server["url"].replace("http://127.0.0.1:8000", mcp.url)
        headers = {
            k: v.replace("<SHIELD_MCP_TOKEN>", MCP_TOKEN) for k, v in server["headers"].items()
        }

        async def run() -> dict[str, Any]:
            async with (
                httpx2.AsyncClient(headers=headers, timeout=60) as http,
                streamable_http_client(url, http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return structured(await session.call_tool("qdrant_find", {"query": "anything"}))

        with api.client() as client:  # something to find in the default collection
            client.post("/store", json={"text": "Keys are rotated every ninety days."})
        result = asyncio.run(run())
        assert "ninety days" in result["results"][0]["text"]
    finally:
        mcp.stop()
