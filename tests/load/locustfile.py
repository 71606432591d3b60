"""Locust users for tests/load: people using shield-api directly and AI assistants using shield-mcp
(streamable HTTP, spoken by hand: Locust's users are gevent greenlets, the MCP SDK is asyncio).

Run by tests/load/test_load.py, or by hand against running services:
    SHIELD_LOAD_API_URL=http://127.0.0.1:8080 SHIELD_LOAD_API_TOKEN=... \\
    SHIELD_LOAD_MCP_URL=http://127.0.0.1:8000 SHIELD_LOAD_MCP_TOKEN=... \\
    locust -f tests/load/locustfile.py --headless -u 10 -r 10 -t 1m
This file is never imported by pytest: Locust patches the whole process for gevent.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import HttpUser, between, tag, task

QUERIES = [
    "where is the spare key",
    "who services the boiler",
    "when does the night ferry leave",
    "how are the moorings assigned",
    "what is the wifi password policy",
]
_ids = itertools.count(1)


class ApiUser(HttpUser):
    """Someone (or a script) calling shield-api: mostly searches, some writes and job checks."""

    host = os.environ.get("SHIELD_LOAD_API_URL", "http://127.0.0.1:8080")
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {os.environ['SHIELD_LOAD_API_TOKEN']}"

    @tag("read")
    @task(6)
    def search(self) -> None:
        self.client.post("/search", json={"query": random.choice(QUERIES)}, name="api /search")

    @task(1)
    def store(self) -> None:
        text = f"Note {next(_ids)}: the {random.choice(QUERIES)} answer is in the binder."
        self.client.post("/store", json={"text": text}, name="api /store")

    @task(1)
    def ingest(self) -> None:
        text = f"# Memo {next(_ids)}\n" + " ".join(random.choices(QUERIES, k=20))
        self.client.post(
            "/ingest-async", json={"kind": "document", "text": text}, name="api /ingest-async"
        )

    @tag("read")
    @task(2)
    def jobs(self) -> None:
        self.client.get("/jobs", params={"limit": 20}, name="api /jobs")


class McpUser(HttpUser):
    """An AI assistant calling shield-mcp's tools over streamable HTTP, one session each."""

    host = os.environ.get("SHIELD_LOAD_MCP_URL", "http://127.0.0.1:8000")
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.client.headers.update(
            {
                "Authorization": f"Bearer {os.environ['SHIELD_LOAD_MCP_TOKEN']}",
                "Accept": "application/json, text/event-stream",
            }
        )
        hello = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "shield-load", "version": "1"},
        }
        response = self.client.post(
            "/mcp", json=self._message("initialize", hello), name="mcp initialize"
        )
        self.client.headers["mcp-session-id"] = response.headers.get("mcp-session-id", "")
        notice = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        self.client.post("/mcp", json=notice, name="mcp initialized")

    def on_stop(self) -> None:
        # A well-behaved client ends its session; one that does not is reaped after 30 minutes
        # idle (the MCP SDK's default), which would show here as memory held, not leaked.
        self.client.delete("/mcp", name="mcp end session")

    @staticmethod
    def _message(method: str, params: dict[str, Any]) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params}

    def _tool(self, name: str, arguments: dict[str, Any]) -> None:
        body = self._message("tools/call", {"name": name, "arguments": arguments})
        with self.client.post("/mcp", json=body, name=f"mcp {name}", catch_response=True) as r:
            reply = _json_rpc_reply(r.text)
            if r.status_code != 200 or reply is None:
                r.failure(f"HTTP {r.status_code}: {r.text[:200]}")
            elif "error" in reply or reply.get("result", {}).get("isError"):
                r.failure(json.dumps(reply)[:300])

    @tag("read")
    @task(6)
    def find(self) -> None:
        self._tool("qdrant_find", {"query": random.choice(QUERIES)})

    @task(1)
    def store(self) -> None:
        self._tool("qdrant_store", {"text": f"Assistant note {next(_ids)} about the boiler."})

    @tag("read")
    @task(1)
    def collections(self) -> None:
        self._tool("list_collections", {})


def _json_rpc_reply(text: str) -> dict[str, Any] | None:
    """The JSON-RPC answer, whether it came as JSON or as one Server-Sent Event."""
    for line in text.splitlines():
        if line.startswith("data:"):
            return dict(json.loads(line[5:]))
    try:
        return dict(json.loads(text))
    except ValueError:
        return None
