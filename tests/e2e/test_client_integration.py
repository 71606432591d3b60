"""The client configurations in docs/guides/CLIENT_INTEGRATION.md work as written: each block is
read from the document and used to connect through the official MCP SDK, LiteLLM's gateway
through LiteLLM's own proxy."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import httpx2
import yaml
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from support.mcp import MCP_TOKEN, McpProcess, structured
from support.processes import free_port, wait_for
from support.services import TOKEN, ApiServer, WorkerProcess

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guides" / "CLIENT_INTEGRATION.md"
LITELLM = ROOT / ".cache" / "litellm-venv" / "bin" / "litellm"  # made by scripts/bootstrap.sh
LITELLM_KEY = "sk-shield-test-0123456789abcdef"


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


def test_litellm_gateway_config(api: ApiServer, worker: WorkerProcess, tmp_path: Path) -> None:
    match = re.search(r"```yaml litellm-gateway\n(.*?)```", GUIDE.read_text(), re.S)
    assert match, f"no ```yaml litellm-gateway block in {GUIDE.name}"
    gateway = yaml.safe_load(match[1])
    assert LITELLM.exists(), "LiteLLM's proxy is missing: run `make bootstrap`"
    mcp = McpProcess(api, tmp_path / "mcp.log")
    port = free_port()
    shield = gateway["mcp_servers"]["shield"]
    shield["url"] = shield["url"].replace("http://127.0.0.1:8000", mcp.url)
    gateway["general_settings"] = {"master_key": LITELLM_KEY}  # the proxy's own clients' key
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(gateway))
    command = [str(LITELLM), "--config", str(tmp_path / "config.yaml"), "--host", "127.0.0.1"]
    with (tmp_path / "litellm.log").open("wb") as log:
        proxy = subprocess.Popen(
            [*command, "--port", str(port)],
            env={
                **os.environ,
                "SHIELD_MCP_TOKEN": MCP_TOKEN,
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def up() -> bool:
            assert proxy.poll() is None, (tmp_path / "litellm.log").read_text()[-3000:]
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health/liveliness").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, 120, "LiteLLM's proxy to start")

        async def run() -> tuple[list[str], dict[str, Any]]:
            async with (
                httpx2.AsyncClient(
                    headers={"Authorization": f"Bearer {LITELLM_KEY}"}, timeout=60
                ) as http,
                streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http) as (
                    read,
                    write,
                ),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                names = [t.name for t in (await session.list_tools()).tools]
                found = await session.call_tool("shield-qdrant_find", {"query": "gate code"})
                return names, structured(found)

        with api.client() as client:
            client.post("/store", json={"text": "The loading bay gate code is 4471."})
        names, found = asyncio.run(run())
        assert {"shield-qdrant_find", "shield-ingest_doc", "shield-crawl_web"} <= set(names)
        assert "4471" in found["results"][0]["text"]
    finally:
        proxy.terminate()
        proxy.wait(30)
        mcp.stop()
