"""No secret reaches a log. Every service of the stack logs at DEBUG into its own file while
work flows through all of them (an MCP client storing, ingesting, searching and asking the graph;
in this package also every refused token and every SSRF attempt), and while callers send secrets
where they do not belong; then each log is searched for each secret."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from mcp import ClientSession

from support.mcp import MCP_TOKEN, structured, with_session
from tests.security.conftest import SECRETS, Stack

# Secrets a careless caller puts in a request; they must not be logged either.
CALLER_SECRETS = {
    "a password in a URL": "url-password-92c4e1a0",
    "a token sent to the wrong place": "misplaced-token-0b7d5e31a8",
}


def _work_through_every_service(stack: Stack) -> dict[str, Any]:
    async def body(session: ClientSession) -> dict[str, Any]:
        stored = structured(
            await session.call_tool(
                "qdrant_store", {"text": "The boiler room key hangs behind the blue door."}
            )
        )
        job = structured(
            await session.call_tool(
                "ingest_doc",
                {"text": "# Boilers\nThe boiler is serviced by Dana Reyes every March."},
            )
        )
        for _ in range(600):
            state = structured(await session.call_tool("get_job_status", {"job_id": job["job_id"]}))
            if state["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.1)
        found = structured(await session.call_tool("qdrant_find", {"query": "boiler key"}))
        asked = structured(
            await session.call_tool("lightrag_query", {"query": "Who services the boiler?"})
        )
        return {"stored": stored, "state": state, "found": found, "asked": asked}

    return dict(with_session(stack.mcp.url, MCP_TOKEN, body))


def _misuse(stack: Stack) -> None:
    password, token = CALLER_SECRETS.values()
    with stack.api.client() as client:
        for kind in ("crawl", "document"):
            refused = client.post(
                "/ingest-async",
                json={"kind": kind, "url": f"https://someone:{password}@example.com/"},
            )
            assert refused.status_code == 422, refused.text
    headers = {"Authorization": f"Bearer {token}", "X-Api-Key": token, "Cookie": f"s={token}"}
    for url in (stack.api.url, stack.graph.url, stack.mcp.url):
        assert httpx.get(f"{url}/metrics", headers=headers, timeout=10).status_code == 401


def test_no_secret_appears_in_any_log(stack: Stack) -> None:
    work = _work_through_every_service(stack)
    assert work["state"]["status"] == "succeeded", work["state"]
    assert work["found"]["results"], work
    _misuse(stack)

    logs = stack.logs()
    assert set(logs) == {"api.log", "worker.log", "mcp.log", "lightrag.log"}
    for (
        name,
        text,
    ) in logs.items():  # each service did log, and at DEBUG: the search means something
        assert '"level": "debug"' in text, f"{name} has no DEBUG records:\n{text[-2000:]}"
    leaks = [
        f"{what} in {name}"
        for what, secret in {**SECRETS, **CALLER_SECRETS}.items()
        for name, text in logs.items()
        if secret in text
    ]
    assert not leaks, leaks
