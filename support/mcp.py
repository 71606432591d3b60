"""shield-mcp as a real `shield mcp` process, and a session of the official MCP client SDK."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
import httpx2
from mcp import ClientSession
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client

from support.processes import free_port
from support.services import TOKEN

MCP_TOKEN = "mcp-token-abcdefghijklmnop"


class HasUrl(Protocol):
    """shield-api in a thread or as a process."""

    url: str


class McpProcess:
    def __init__(self, api: HasUrl, log: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.log_path = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shield", "mcp", "--port", str(self.port)],
            env={
                **os.environ,
                "SHIELD_MCP_TOKEN": MCP_TOKEN,
                "SHIELD_API_URL": api.url,
                "SHIELD_API_TOKEN": TOKEN,
                **env,
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "shield-mcp did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(15)
        self._log.close()


def with_session(
    url: str, token: str, body: Callable[[ClientSession], Awaitable[Any]], timeout: float = 60
) -> Any:
    """Runs `body` in an initialised session of the official MCP client with shield-mcp at
    `url` (its /mcp endpoint), sending `token`."""

    async def run() -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await body(session)

    return asyncio.run(run())


@contextlib.asynccontextmanager
async def modern_client(url: str, token: str) -> AsyncIterator[Client]:
    """The official SDK's high-level client with shield-mcp at `url`, sending `token`; it finds
    protocol 2026-07-28 by `server/discover` (listen streams, tasks). No response cache: the
    tests read each resource as it is now."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), cache=None) as client,
    ):
        yield client


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    return dict(result.structured_content or json.loads(result.content[0].text))
