"""shield-api stopped while MCP clients keep calling: every call still ends quickly (an error
carrying `retry_after`, never a hang), shield-mcp's breaker opens and then fails calls fast, and
when shield-api returns every client succeeds again by itself, through the same session. Prints
the time to recover."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from support.mcp import MCP_TOKEN, McpProcess
from support.metrics import sample
from support.processes import RedisServer
from support.services import ApiProcess, process_env

CLIENTS = 8
RECOVERY_SECONDS = 2  # shield-mcp's breaker half-opens after this


@dataclass
class Call:
    client: int
    started: float
    seconds: float
    ok: bool
    text: str


async def _client(url: str, number: int, calls: list[Call], stop: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {MCP_TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        while not stop.is_set():
            started = time.monotonic()
            result = await session.call_tool("qdrant_find", {"query": "the spare key"})
            text = result.content[0].text if result.content else ""
            seconds = time.monotonic() - started
            calls.append(Call(number, started, seconds, not result.is_error, text))
            await asyncio.sleep(0.05)


def test_mcp_fails_fast_while_the_api_is_down_and_recovers_by_itself(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    redis_server.client().flushall()
    api = ApiProcess(process_env(redis_server.url, tmp_path / "data"), tmp_path / "api.log")
    with api.client() as client:
        client.post("/store", json={"text": "The spare key is under the third flowerpot."})
    mcp = McpProcess(
        api,
        tmp_path / "mcp.log",
        SHIELD_API_BREAKER_FAILURES="3",
        SHIELD_API_BREAKER_RECOVERY_SECONDS=str(RECOVERY_SECONDS),
        SHIELD_API_TIMEOUT="5",
    )
    calls: list[Call] = []
    marks: dict[str, float] = {}

    async def scenario() -> None:
        stop = asyncio.Event()
        clients = [asyncio.create_task(_client(mcp.url, i, calls, stop)) for i in range(CLIENTS)]
        await asyncio.sleep(3)
        marks["down"] = time.monotonic()
        await asyncio.to_thread(api.stop)
        await asyncio.sleep(6)
        marks["restarting"] = time.monotonic()
        await asyncio.to_thread(api.start)
        marks["up"] = time.monotonic()
        while not all(
            any(c.ok and c.started > marks["up"] for c in calls if c.client == i)
            for i in range(CLIENTS)
        ):
            assert time.monotonic() - marks["up"] < 30, "the clients did not recover"
            await asyncio.sleep(0.1)
        marks["recovered"] = time.monotonic()
        stop.set()
        await asyncio.gather(*clients)  # no session broke: each ends cleanly

    try:
        asyncio.run(scenario())
        metrics = httpx.get(
            f"{mcp.url}/metrics", headers={"Authorization": f"Bearer {MCP_TOKEN}"}, timeout=10
        ).text
    finally:
        mcp.stop()
        api.stop()

    before = [c for c in calls if c.started + c.seconds < marks["down"]]
    during = [c for c in calls if marks["down"] + 1 < c.started < marks["restarting"]]
    assert before
    assert all(c.ok for c in before)
    assert during
    assert not any(c.ok for c in during)
    assert all("retry_after" in c.text for c in during), {c.text for c in during}
    assert any("circuit open" in c.text for c in during)
    slowest = max(c.seconds for c in during)
    assert slowest < 6, f"a call took {slowest:.1f} s while shield-api was down"
    assert sample(metrics, "shield_circuit_breaker_opened_total", service="mcp", breaker="api") >= 1
    assert sample(metrics, "shield_circuit_breaker_state", service="mcp", breaker="api") == 0
    print(
        f"shield-api stopped under {CLIENTS} MCP clients: {len(during)} calls refused while down "
        f"(slowest {slowest:.2f} s); every client served again "
        f"{marks['recovered'] - marks['up']:.1f} s after shield-api was healthy"
    )
