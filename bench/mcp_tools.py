"""MCP tool calls: p50/p99 latency and calls/s with 1 and 16 concurrent clients (the official
MCP SDK client over streamable HTTP), for

- a no-op tool served by shield-mcp's own server (`build_server`: bearer-token auth, the call
  limiter, metrics) against a bare FastMCP echo tool with none of that, in the same run
  (goal: ours <= 1.2x the bare server's p50);
- `qdrant_find` end to end: shield-mcp -> shield-api -> embedding -> vector store;
- the bytes of `qdrant_find`'s answer for 10 results, compact and verbose, beside the untyped
  answer it gave before (the search API's JSON, as text and as structured content; goal: compact
  <= 0.6x).

    python -m bench.mcp_tools [--calls 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from bench.common import TOKEN, Platform, corpus, median, percentile, save
from support.mcp import with_session
from support.processes import free_port

MCP_TOKEN = "bench-mcp-token-0123456789"


def serve(kind: str, port: int, api_url: str) -> None:
    """Run one MCP server in this process (the benchmark starts each in its own)."""
    from fastmcp import FastMCP

    if kind == "bare":
        server = FastMCP("bare")

        @server.tool(name="noop")
        async def echo(text: str) -> dict[str, str]:
            return {"text": text}

    else:
        from shield.config import McpSettings
        from shield.mcp.server import CallLimiter, build_server, measured

        settings = McpSettings(
            mcp_token=MCP_TOKEN, api_url=api_url, api_token=TOKEN, port=port, log_level="WARNING"
        )
        server = build_server(settings)

        async def noop(text: str) -> dict[str, str]:
            return {"text": text}

        # Through the same wrapper every Shield tool gets: the limiter and the metrics.
        server.tool(name="noop")(measured("noop", CallLimiter(settings.max_concurrent_calls))(noop))
    server.run(transport="http", host="127.0.0.1", port=port, path="/mcp", show_banner=False)


class Server:
    def __init__(self, kind: str, api_url: str = "http://127.0.0.1:9") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SHIELD_LOG_LEVEL": "WARNING", "FASTMCP_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.mcp_tools",
                "--serve",
                kind,
                "--port",
                str(self.port),
                "--api-url",
                api_url,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/mcp", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"the {kind} MCP server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


async def client(url: str, tool: str, args: dict[str, Any], calls: int) -> list[float]:
    headers = {"Authorization": f"Bearer {MCP_TOKEN}"}
    latencies: list[float] = []
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        for _ in range(calls):
            start = time.perf_counter()
            result = await session.call_tool(tool, args)
            latencies.append(time.perf_counter() - start)
            assert not result.is_error, result.content
    return latencies


async def load(
    url: str, tool: str, args: dict[str, Any], clients: int, calls: int
) -> dict[str, float]:
    await client(url, tool, args, 5)  # warm-up
    started = time.perf_counter()
    per_client = calls // clients
    runs = await asyncio.gather(*(client(url, tool, args, per_client) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    samples = [s for run in runs for s in run]
    return {
        "p50_ms": percentile(samples, 50) * 1000,
        "p99_ms": percentile(samples, 99) * 1000,
        "calls_per_s": len(samples) / elapsed,
    }


def _shown(name: str, row: dict[str, float]) -> str:
    return (
        f"{name} p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms "
        f"{row['calls_per_s']:.0f} calls/s"
    )


def noop_figures(servers: dict[str, Server], clients: int, rounds: int, calls: int) -> Any:
    """Rounds alternate between the servers, so both see the same machine."""
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, server in servers.items():
            rows[name].append(asyncio.run(load(server.url, "noop", {"text": "x"}, clients, calls)))
    summary: dict[str, Any] = {
        name: {k: median([r[k] for r in runs]) for k in runs[0]} for name, runs in rows.items()
    }
    ratios = [o["p50_ms"] / b["p50_ms"] for o, b in zip(rows["ours"], rows["bare"], strict=True)]
    summary["p50_ratio"] = median(ratios)
    print(
        f"{clients:>2} clients: {_shown('bare', summary['bare'])} | "
        f"{_shown('ours', summary['ours'])} | p50 ratio {summary['p50_ratio']:.2f}"
    )
    return summary


def answer_bytes(url: str, query: str, verbose: bool) -> tuple[int, int]:
    """Bytes of qdrant_find's text content and of its structured content, 10 results."""

    async def call(session: ClientSession) -> Any:
        return await session.call_tool(
            "qdrant_find", {"query": query, "limit": 10, "verbose": verbose}
        )

    result = with_session(url, MCP_TOKEN, call)
    text = "".join(block.text for block in result.content if hasattr(block, "text"))
    return len(text.encode()), len(json.dumps(result.structured_content).encode())


def size_figures(platform_http: httpx.Client, url: str) -> dict[str, Any]:
    """qdrant_find's answer for the same 10 results: before, the search API's JSON as both the
    text and the structured content (what the tool answered until it was typed); now, compact
    passages and readable text; and with verbose."""
    query = "return the value"
    raw = platform_http.post("/search", json={"query": query, "limit": 10}).json()
    before = len(json.dumps(raw).encode())
    rows = {
        "before": (before, before),
        "compact": answer_bytes(url, query, verbose=False),
        "verbose": answer_bytes(url, query, verbose=True),
    }
    figures = {name: {"text": t, "structured": s} for name, (t, s) in rows.items()}
    total_before = sum(rows["before"])
    figures["compact_ratio"] = sum(rows["compact"]) / total_before
    for name, (text, structured) in rows.items():
        print(f"qdrant_find answer, {name:<8} text {text:>6} B  structured {structured:>6} B")
    print(f"compact / before: {figures['compact_ratio']:.2f} (goal <= 0.60)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=320)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", choices=["bare", "ours"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-url", default="http://127.0.0.1:9")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.api_url)
        return

    figures: dict[str, Any] = {}
    servers = {"bare": Server("bare"), "ours": Server("ours")}
    try:
        for clients in (1, 16):
            figures[f"noop_{clients}_clients"] = noop_figures(
                servers, clients, args.rounds, args.calls
            )
    finally:
        for server in servers.values():
            server.stop()

    platform = Platform(Path(tempfile.mkdtemp()) / "mcp-bench", workers=0)
    try:
        with platform.client() as http:
            for i, text in enumerate(corpus(300)):
                http.post("/store", json={"text": text, "source": f"note-{i}"}).raise_for_status()
        shield = Server("ours", platform.url)
        try:
            with platform.client() as http:
                figures["qdrant_find_answer_bytes"] = size_figures(http, shield.url)
            for clients in (1, 16):
                runs = [
                    asyncio.run(
                        load(
                            shield.url,
                            "qdrant_find",
                            {"query": "return the value", "limit": 5},
                            clients,
                            args.calls // 2,
                        )
                    )
                    for _ in range(args.rounds)
                ]
                result = {k: median([r[k] for r in runs]) for k in runs[0]}
                figures[f"qdrant_find_{clients}_clients"] = result
                print(f"qdrant_find, {clients:>2} clients: {_shown('shield', result)}")
        finally:
            shield.stop()
    finally:
        platform.stop()
    save("mcp", figures)


if __name__ == "__main__":
    main()
