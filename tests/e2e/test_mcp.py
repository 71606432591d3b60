"""shield-mcp, a real `shield mcp` process, through the official MCP client SDK over streamable
HTTP, in front of a live shield-api, worker and Redis."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastmcp import Client
from fastmcp.client.transports import StreamableHttpTransport
from fastmcp.server.auth.providers.jwt import RSAKeyPair
from fastmcp_tasks import call_tool_task
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

from shield import __version__
from shield.embeddings.local import LocalEmbedder
from support import documents
from support.mcp import MCP_TOKEN, McpProcess, modern_client, structured, with_session
from support.metrics import sample
from support.processes import RedisServer, free_port
from support.services import TOKEN, ApiServer, WorkerProcess, api_settings
from support.sites import Site, page, slow_site


@pytest.fixture(scope="module")
def worker(loopback_worker: WorkerProcess) -> WorkerProcess:
    """The tools crawl the test sites on 127.0.0.1."""
    return loopback_worker


@pytest.fixture(scope="module")
def mcp_server(
    api: ApiServer, worker: WorkerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[McpProcess]:
    server = McpProcess(api, tmp_path_factory.mktemp("mcp") / "mcp.log")
    yield server
    server.stop()


def test_tools_are_listed_with_their_schemas(mcp_server: McpProcess) -> None:
    async def body(session: ClientSession) -> Any:
        return (await session.initialize()).server_info, await session.list_tools()

    server, listed = with_session(mcp_server.url, MCP_TOKEN, body)
    assert (server.name, server.version) == ("shield", __version__)  # not FastMCP's version
    tools = {t.name: t for t in listed.tools}
    assert {
        "qdrant_find",
        "qdrant_store",
        "ingest_doc",
        "crawl_web",
        "get_job_status",
        "list_jobs",
        "cancel_job",
        "list_documents",
        "delete_document",
        "list_collections",
    } <= set(tools)
    schema = tools["qdrant_find"].input_schema
    assert schema["required"] == ["query"]
    assert "description" in schema["properties"]["query"]
    for name in ("mode", "group_by", "offset", "score_threshold"):
        assert "description" in schema["properties"][name], name
    assert "lexical" in json.dumps(schema["properties"]["mode"])
    store = tools["qdrant_store"].input_schema
    assert "required" not in store  # text, or several texts
    assert store["properties"]["texts"]["anyOf"][0]["maxItems"] == 100
    for name, tool in tools.items():  # every answer is typed: its fields are listed
        assert tool.output_schema is not None, name
        assert tool.output_schema["properties"], name
    results = tools["qdrant_find"].output_schema["properties"]["results"]["items"]
    passage = tools["qdrant_find"].output_schema.get("$defs", {}).get("Passage", results)
    assert set(passage["required"]) == {
        "text",
        "score",
        "source",
        "title",
        "headings",
        "document_id",
    }


def test_several_texts_stored_at_once_and_found_by_exact_words(mcp_server: McpProcess) -> None:
    texts = [
        {"text": "Spare part QX-7731 is on shelf four.", "source": "shelf-notes"},
        {"text": "The pump seal must be replaced when it leaks.", "metadata": {"team": "ops"}},
        {"text": "Seals wear out faster in cold water."},
    ]

    async def body(session: ClientSession) -> dict[str, Any]:
        stored = structured(
            await session.call_tool(
                "qdrant_store",
                {"texts": texts, "create_collection": True, "collection": "mcp-batch"},
            )
        )
        query = {"query": "which seal is QX-7731", "collection": "mcp-batch"}
        lexical = structured(await session.call_tool("qdrant_find", {**query, "mode": "lexical"}))
        grouped = structured(
            await session.call_tool(
                "qdrant_find", {**query, "group_by": "document", "limit": 2, "offset": 1}
            )
        )
        bad = await session.call_tool("qdrant_find", {**query, "mode": "fuzzy"})
        return {"stored": stored, "lexical": lexical, "grouped": grouped, "bad": bad}

    out = with_session(mcp_server.url, MCP_TOKEN, body)
    assert len(out["stored"]["documents"]) == 3
    assert out["stored"]["documents"][0]["source"] == "shelf-notes"
    assert out["lexical"]["mode"] == "lexical"
    assert out["lexical"]["results"][0]["source"] == "shelf-notes"
    assert out["grouped"]["mode"] == "hybrid"
    assert len({hit["document_id"] for hit in out["grouped"]["results"]}) == 2
    assert out["bad"].is_error


def test_store_ingest_and_find_through_mcp(mcp_server: McpProcess) -> None:
    async def body(session: ClientSession) -> dict[str, Any]:
        stored = structured(
            await session.call_tool(
                "qdrant_store",
                {
                    "text": "The office wifi password is on the fridge.",
                    "metadata": {"team": "it"},
                    "create_collection": True,
                    "collection": "mcp",
                },
            )
        )
        job = structured(
            await session.call_tool(
                "ingest_doc",
                {
                    "text": "# Parking\nVisitors park on level minus two.",
                    "source": "parking.md",
                    "create_collection": True,
                    "collection": "mcp",
                },
            )
        )
        assert job["status"] == "queued"
        for _ in range(300):
            state = structured(await session.call_tool("get_job_status", {"job_id": job["job_id"]}))
            if state["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.1)
        assert state["status"] == "succeeded", state
        query = {"query": "where do guests leave their car", "collection": "mcp"}
        found = await session.call_tool("qdrant_find", query)
        # What a model reads names the document: its id opens the whole text.
        first = structured(found)["results"][0]["document_id"]
        assert f"document {first}" in found.content[0].text
        opened = await session.read_resource(f"shield://collections/mcp/documents/{first}")
        verbose = structured(await session.call_tool("qdrant_find", {**query, "verbose": True}))
        documents = structured(await session.call_tool("list_documents", {"collection": "mcp"}))
        pages = [
            structured(
                await session.call_tool(
                    "list_documents", {"collection": "mcp", "limit": 1, "offset": offset}
                )
            )
            for offset in (0, 1)
        ]
        bad = await session.call_tool("qdrant_find", {"query": "x", "collection": "no-such"})
        schema = {t.name: t for t in (await session.list_tools()).tools}["qdrant_find"]
        return {
            "stored": stored,
            "found": found,
            "opened": opened.contents[0].text,  # type: ignore[union-attr]
            "verbose": verbose,
            "documents": documents,
            "pages": pages,
            "bad": bad,
            "schema": schema.output_schema,
        }

    out = with_session(mcp_server.url, MCP_TOKEN, body)
    found = structured(out["found"])
    jsonschema.validate(found, out["schema"])
    best = found["results"][0]
    assert "level minus two" in best["text"]
    # Compact: where a passage comes from, and nothing of Shield's bookkeeping.
    assert set(best) == {"text", "score", "source", "title", "headings", "document_id"}
    text = out["found"].content[0].text  # written for a model to read, not a JSON dump
    assert text.startswith("2 passages from collection mcp (hybrid search), best first.")
    assert "shield://collections/mcp/documents/<document>" in text
    assert "[1] parking.md, score" in text
    assert found["collection"] == "mcp"
    assert "level minus two" in out["opened"]
    assert not text.lstrip().startswith("{")
    detailed = out["verbose"]["results"]
    assert {hit["source"]: hit["metadata"] for hit in detailed}[
        out["stored"]["documents"][0]["source"]
    ] == {"team": "it"}
    assert {"id", "content_hash", "job_id", "chunk_index"} <= set(detailed[0]["details"])
    jsonschema.validate(out["verbose"], out["schema"])
    assert {d["source"] for d in out["documents"]["documents"]} == {
        "parking.md",
        out["stored"]["documents"][0]["source"],
    }
    assert out["bad"].is_error
    assert "collection 'no-such' does not exist" in out["bad"].content[0].text
    # A page at a time: one document each, the whole told by total and next_offset.
    first, last = out["pages"]
    assert (len(first["documents"]), first["total"], first["next_offset"]) == (1, 2, 1)
    assert (len(last["documents"]), last["total"], last.get("next_offset")) == (1, 2, None)
    assert [*first["documents"], *last["documents"]] == out["documents"]["documents"]


def test_ingest_doc_takes_a_file_and_refuses_bad_input(mcp_server: McpProcess) -> None:
    async def wait(session: ClientSession, job_id: str) -> dict[str, Any]:
        for _ in range(600):
            state = structured(await session.call_tool("get_job_status", {"job_id": job_id}))
            if state["status"] in ("succeeded", "failed"):
                return state
            await asyncio.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish")

    async def body(session: ClientSession) -> dict[str, Any]:
        encoded = base64.b64encode(documents.make("docx")).decode()
        job = structured(
            await session.call_tool(
                "ingest_doc",
                {
                    "file_base64": encoded,
                    "filename": "bees.docx",
                    "create_collection": True,
                    "collection": "mcp-files",
                },
            )
        )
        state = await wait(session, job["job_id"])
        found = structured(
            await session.call_tool(
                "qdrant_find",
                {"query": documents.SUBJECTS["docx"].query, "collection": "mcp-files"},
            )
        )
        bad = {
            "nothing": await session.call_tool("ingest_doc", {}),
            "two": await session.call_tool(
                "ingest_doc", {"text": "a", "file_base64": encoded, "filename": "b.docx"}
            ),
            "no name": await session.call_tool("ingest_doc", {"file_base64": encoded}),
            "not base64": await session.call_tool(
                "ingest_doc", {"file_base64": "%%%", "filename": "a.pdf"}
            ),
            "lying file": await session.call_tool(
                "ingest_doc",
                {"file_base64": base64.b64encode(b"MZ" * 100).decode(), "filename": "a.pdf"},
            ),
            "file url": await session.call_tool("ingest_doc", {"url": "file:///etc/passwd"}),
        }
        return {"state": state, "found": found, "bad": bad}

    out = with_session(mcp_server.url, MCP_TOKEN, body)
    assert out["state"]["status"] == "succeeded", out["state"]
    assert out["found"]["results"][0]["source"] == "bees.docx"
    messages = {name: result.content[0].text for name, result in out["bad"].items()}
    assert all(result.is_error for result in out["bad"].values()), messages
    assert "exactly one of text, url, path or file_base64" in messages["nothing"]
    assert messages["nothing"].endswith("got none of them")
    assert messages["two"].endswith("got text, file_base64")
    assert "filename is required" in messages["no name"]
    assert "not valid base64" in messages["not base64"]
    assert "claims to be PDF" in messages["lying file"]
    assert "only http:// and https://" in messages["file url"]


def test_crawl_web_crawls_and_refuses_what_it_must(mcp_server: McpProcess) -> None:
    site = Site()
    site.html("/", page("Ferry timetable", "The night ferry leaves at eleven.", ["/winter"]))
    site.html("/winter", page("Winter", "In winter the ferry does not run on Sundays.", []))

    async def body(session: ClientSession) -> dict[str, Any]:
        job = structured(
            await session.call_tool(
                "crawl_web",
                {
                    "url": f"{site.url}/",
                    "max_pages": 5,
                    "create_collection": True,
                    "collection": "mcp-web",
                },
            )
        )
        assert job["status"] == "queued"
        for _ in range(600):
            state = structured(await session.call_tool("get_job_status", {"job_id": job["job_id"]}))
            if state["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.1)
        found = structured(
            await session.call_tool(
                "qdrant_find", {"query": "ferry on Sundays in winter", "collection": "mcp-web"}
            )
        )
        bad = {
            "scheme": await session.call_tool("crawl_web", {"url": "file:///etc/passwd"}),
            "pages": await session.call_tool(
                "crawl_web", {"url": "https://example.com/", "max_pages": 0}
            ),
            "engine": await session.call_tool(
                "crawl_web", {"url": "https://example.com/", "engine": "telnet"}
            ),
        }
        return {"state": state, "found": found, "bad": bad}

    try:
        out = with_session(mcp_server.url, MCP_TOKEN, body)
    finally:
        site.stop()
    assert out["state"]["status"] == "succeeded", out["state"]
    assert out["state"]["progress"]["pages_fetched"] == 2
    assert out["found"]["results"][0]["source"] == f"{site.url}/winter"
    assert all(result.is_error for result in out["bad"].values())
    assert "only http:// and https://" in out["bad"]["scheme"].content[0].text


def test_lightrag_query_is_listed_and_says_when_the_graph_is_missing(
    mcp_server: McpProcess,
) -> None:
    async def body(session: ClientSession) -> dict[str, Any]:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        answer = await session.call_tool("lightrag_query", {"query": "who is the harbour master"})
        bad = await session.call_tool("lightrag_query", {"query": "x", "mode": "telepathy"})
        return {"tools": tools, "answer": answer, "bad": bad}

    out = with_session(mcp_server.url, MCP_TOKEN, body)
    schema = out["tools"]["lightrag_query"].input_schema
    assert schema["properties"]["mode"]["enum"] == [
        "naive", "local", "global", "hybrid", "mix", "hops"
    ]  # fmt: skip
    assert schema["properties"]["mode"]["default"] == "hops"
    assert out["answer"].is_error
    assert "knowledge graph is not available" in out["answer"].content[0].text
    assert out["bad"].is_error


def test_http_needs_the_token(mcp_server: McpProcess) -> None:
    response = httpx.post(
        f"{mcp_server.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    )
    assert response.status_code == 401
    assert "missing bearer token" in response.json()["error"]["message"]
    wrong = httpx.post(
        f"{mcp_server.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": "Bearer mistyped-token-0123456789abcdef"},
    )
    assert wrong.status_code == 401
    # Shield's words, not FastMCP's advice to OAuth clients to re-register.
    for answer in (wrong.json()["error"]["message"], wrong.headers["www-authenticate"]):
        assert "invalid bearer token" in answer, answer
        assert "SHIELD_MCP_TOKEN" in answer, answer
        assert "re-register" not in answer, answer
    assert httpx.get(f"{mcp_server.url}/metrics").status_code == 401
    metrics = httpx.get(
        f"{mcp_server.url}/metrics", headers={"Authorization": f"Bearer {MCP_TOKEN}"}
    ).text
    assert sample(metrics, "shield_tool_calls_total", tool="qdrant_store", status="ok") >= 1
    # The crawl test's bad URLs were the caller's mistakes, not Shield's errors.
    assert sample(metrics, "shield_tool_calls_total", tool="crawl_web", status="invalid") >= 1
    assert 'shield_tool_calls_total{status="error",tool="crawl_web"} 0.0' in metrics
    assert httpx.get(f"{mcp_server.url}/healthz").json()["status"] == "ok"


def test_jwts_of_an_identity_provider_open_the_tools(api: ApiServer, tmp_path: Path) -> None:
    keys = RSAKeyPair.generate()
    issuer, audience = "https://id.example.org", "shield-mcp"
    server = McpProcess(
        api,
        tmp_path / "mcp-jwt.log",
        SHIELD_MCP_JWT_PUBLIC_KEY=keys.public_key,
        SHIELD_MCP_JWT_ISSUER=issuer,
        SHIELD_MCP_JWT_AUDIENCE=audience,
        SHIELD_MCP_PUBLIC_URL="https://mcp.example.org",
    )
    try:
        token = keys.create_token(
            subject="ada",
            issuer=issuer,
            audience=audience,
            additional_claims={"scope": "openid shield:read:*"},
        )
        # RFC 9728: where a client learns which identity provider issues tokens for this server.
        metadata = httpx.get(f"{server.url}/.well-known/oauth-protected-resource/mcp")
        assert metadata.status_code == 200, metadata.text
        assert metadata.json()["resource"] == "https://mcp.example.org/mcp"
        assert metadata.json()["authorization_servers"] == [f"{issuer}/"]
        anonymous = httpx.post(
            f"{server.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        )
        assert anonymous.status_code == 401
        challenge = anonymous.headers["www-authenticate"]
        assert challenge.startswith("Bearer ")
        assert (
            'resource_metadata="https://mcp.example.org/.well-known/oauth-protected-resource/mcp"'
            in challenge
        )

        async def body(session: ClientSession) -> Any:
            return await session.list_tools()

        tools = {t.name for t in with_session(server.url, token, body).tools}
        assert "qdrant_find" in tools
        assert "qdrant_store" not in tools  # shield:read:* writes nowhere
        scopeless = keys.create_token(subject="bob", issuer=issuer, audience=audience)
        assert with_session(server.url, scopeless, body).tools == []  # it may use none
        foreign = keys.create_token(subject="ada", issuer=issuer, audience="another-service")
        for bearer in (foreign, "not-a-jwt"):
            response = httpx.post(
                f"{server.url}/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"Authorization": f"Bearer {bearer}"},
            )
            assert response.status_code == 401, bearer
            assert (
                httpx.get(
                    f"{server.url}/metrics", headers={"Authorization": f"Bearer {bearer}"}
                ).status_code
                == 401
            )
        admin = keys.create_token(
            subject="ops",
            issuer=issuer,
            audience=audience,
            additional_claims={"scope": "shield:admin"},
        )

        def metrics(bearer: str) -> int:
            headers = {"Authorization": f"Bearer {bearer}"}
            return httpx.get(f"{server.url}/metrics", headers=headers).status_code

        assert metrics(token) == 403  # a reader's JWT: metrics are for admins
        assert metrics(admin) == 200
        assert metrics(MCP_TOKEN) == 200  # Prometheus's shared token
    finally:
        server.stop()


def test_stdio_transport_through_the_sdk(api: ApiServer, worker: WorkerProcess) -> None:
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "shield", "mcp", "--transport", "stdio"],
        env={
            **os.environ,
            "SHIELD_API_URL": api.url,
            "SHIELD_API_TOKEN": TOKEN,
            "SHIELD_LOG_LEVEL": "WARNING",
        },
    )

    async def run() -> Any:
        async with (
            stdio_client(params) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return structured(await session.call_tool("list_collections", {}))

    collections = asyncio.run(run())
    assert "collections" in collections


def test_api_down_gives_retry_after_then_fails_fast(tmp_path: Path, api: ApiServer) -> None:
    class Nowhere:
        url = f"http://127.0.0.1:{free_port()}"

    server = McpProcess(Nowhere(), tmp_path / "mcp-down.log")  # type: ignore[arg-type]
    try:

        async def body(session: ClientSession) -> list[Any]:
            return [await session.call_tool("qdrant_find", {"query": "x"}) for _ in range(6)]

        results = with_session(server.url, MCP_TOKEN, body)
    finally:
        server.stop()
    texts = [r.content[0].text for r in results]
    assert all(r.is_error for r in results)
    assert "shield-api is unreachable" in texts[0]
    assert "retry_after" in texts[0]
    assert "circuit open" in texts[-1]
    assert "retry_after: 60 s" in texts[-1] or "retry_after: 59 s" in texts[-1]


def test_the_breaker_recovers_by_itself_when_shield_api_returns(
    tmp_path: Path, redis_server: RedisServer, embedder: LocalEmbedder
) -> None:
    port = free_port()

    class Later:
        url = f"http://127.0.0.1:{port}"

    server = McpProcess(
        Later(),  # type: ignore[arg-type]
        tmp_path / "mcp-recover.log",
        SHIELD_API_BREAKER_FAILURES="2",
        SHIELD_API_BREAKER_RECOVERY_SECONDS="2",
    )
    api: ApiServer | None = None
    try:

        async def down(session: ClientSession) -> list[Any]:
            return [await session.call_tool("list_collections", {}) for _ in range(3)]

        failures = with_session(server.url, MCP_TOKEN, down)
        assert "circuit open" in failures[-1].content[0].text
        started = time.monotonic()
        api = ApiServer(api_settings(redis_server.url, tmp_path / "data", port=port), embedder)

        async def back(session: ClientSession) -> Any:
            while True:
                result = await session.call_tool("list_collections", {})
                if not result.is_error or time.monotonic() - started > 20:
                    return result
                await asyncio.sleep(0.2)

        recovered = with_session(server.url, MCP_TOKEN, back)
        assert not recovered.is_error, recovered.content[0].text
        assert "collections" in structured(recovered)
        assert time.monotonic() - started < 10  # the 2 s recovery, not the default 60 s
    finally:
        server.stop()
        if api is not None:
            api.stop()


def test_jobs_are_listed_and_an_ended_one_is_not_cancelled(mcp_server: McpProcess) -> None:
    collection = f"mcp-jobs-{os.getpid()}"

    async def body(session: ClientSession) -> dict[str, Any]:
        job = structured(
            await session.call_tool(
                "ingest_doc",
                {
                    "text": "The lift is serviced on Mondays.",
                    "source": "lift.md",
                    "create_collection": True,
                    "collection": collection,
                },
            )
        )
        for _ in range(300):
            state = structured(await session.call_tool("get_job_status", {"job_id": job["job_id"]}))
            if state["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.1)
        done = {"collection": collection, "status": ["succeeded"], "kind": ["document"]}
        return {
            "job": job,
            "listed": structured(await session.call_tool("list_jobs", done)),
            "queued": structured(
                await session.call_tool(
                    "list_jobs", {"collection": collection, "status": ["queued"]}
                )
            ),
            "cancel": await session.call_tool("cancel_job", {"job_id": job["job_id"]}),
            "bad": await session.call_tool("list_jobs", {"status": ["finished"]}),
        }

    out = with_session(mcp_server.url, MCP_TOKEN, body)
    assert [j["job_id"] for j in out["listed"]["jobs"]] == [out["job"]["job_id"]]
    assert out["listed"]["next_cursor"] is None
    assert out["queued"]["jobs"] == []
    assert out["cancel"].is_error
    assert "cannot be cancelled" in out["cancel"].content[0].text
    assert out["bad"].is_error


def test_collections_documents_and_jobs_are_resources(mcp_server: McpProcess) -> None:
    text = "# Ferry\n\nThe ferry to Gullholm leaves at noon.\n\n## Winter\n\nIn winter, at one."

    async def body(session: ClientSession) -> dict[str, Any]:
        job = structured(
            await session.call_tool(
                "ingest_doc",
                {
                    "text": text,
                    "source": "ferry.md",
                    "create_collection": True,
                    "collection": "mcp-res",
                },
            )
        )
        for _ in range(300):
            state = structured(await session.call_tool("get_job_status", {"job_id": job["job_id"]}))
            if state["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.1)
        document_id = state["result"]["documents"][0]["document_id"]
        templates = await session.list_resource_templates()
        listed = await session.list_resources()

        async def read(uri: str) -> str:
            return str((await session.read_resource(uri)).contents[0].text)  # type: ignore[union-attr]

        async def refused(uri: str) -> str:
            try:
                await session.read_resource(uri)
            except MCPError as exc:
                return f"{exc.code} {exc.message}"
            raise AssertionError(f"{uri} was read")

        return {
            "templates": {t.uri_template for t in templates.resource_templates},
            "static": {str(r.uri) for r in listed.resources},
            "collections": json.loads(await read("shield://collections")),
            "documents": json.loads(await read("shield://collections/mcp-res/documents")),
            "text": await read(f"shield://collections/mcp-res/documents/{document_id}"),
            "job": json.loads(await read(f"shield://jobs/{job['job_id']}")),
            "unknown": await refused("shield://collections/mcp-res/documents/no-such-id"),
            "no job": await refused("shield://jobs/..%2F..%2Fetc"),
            "unknown job": await refused("shield://jobs/0123456789abcdef0123456789abcdef"),
        }

    out = with_session(mcp_server.url, MCP_TOKEN, body)
    assert out["templates"] == {
        "shield://collections/{collection}/documents",
        "shield://collections/{collection}/documents/{document_id}",
        "shield://jobs/{job_id}",
    }
    assert out["static"] == {"shield://collections"}
    assert "mcp-res" in {c["name"] for c in out["collections"]["collections"]}
    assert [d["source"] for d in out["documents"]["documents"]] == ["ferry.md"]
    assert out["text"].split() == text.split()  # the whole text, from its passages
    assert out["job"]["status"] == "succeeded"
    # Not found is the specification's -32002, not an internal error (-32603).
    assert out["unknown"].startswith("-32002 "), out["unknown"]
    assert "is not in collection 'mcp-res'" in out["unknown"]
    assert out["unknown job"].startswith("-32002 "), out["unknown job"]
    assert "job" in out["no job"]
    assert not out["no job"].startswith("-32002 ")  # not an id at all: a bad request


def test_prompts_give_the_steps_with_the_callers_words(mcp_server: McpProcess) -> None:
    async def body(session: ClientSession) -> dict[str, Any]:
        listed = await session.list_prompts()
        research = await session.get_prompt(
            "research_topic",
            {"topic": "tidal power", "urls": "https://a.example/x, https://b.example/y"},
        )
        answer = await session.get_prompt(
            "answer_with_citations", {"question": "Who services the boiler?", "collection": "ops"}
        )
        try:
            await session.get_prompt("write_a_poem", {})
            unknown = ""
        except MCPError as exc:
            unknown = str(exc)
        return {
            "names": {p.name for p in listed.prompts},
            "research": research.messages[0].content.text,  # type: ignore[union-attr]
            "answer": answer.messages[0].content.text,  # type: ignore[union-attr]
            "unknown": unknown,
        }

    out = with_session(mcp_server.url, MCP_TOKEN, body)
    assert out["names"] == {"research_topic", "answer_with_citations", "summarise_collection"}
    assert "Research this topic: tidal power" in out["research"]
    assert "- https://a.example/x\n- https://b.example/y" in out["research"]
    assert 'qdrant_find with collection "ops"' in out["answer"]
    assert "write_a_poem" in out["unknown"]


def test_waiting_on_an_ingest_reports_progress_then_answers_the_ended_job(
    mcp_server: McpProcess,
) -> None:
    texts = [f"# Note {i}\n\nShelf {i} holds spare gaskets of size {i}." for i in range(3)]
    notes = [base64.b64encode(text.encode()).decode() for text in texts]

    async def body(session: ClientSession) -> dict[str, Any]:
        progress: list[tuple[float, float | None, str | None]] = []

        async def heard(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        waited = await session.call_tool(
            "ingest_doc",
            {
                "file_base64": notes[0],
                "filename": "shelf.md",
                "create_collection": True,
                "collection": "mcp-wait",
                "wait": True,
            },
            progress_callback=heard,
        )
        at_once = structured(
            await session.call_tool(
                "ingest_doc",
                {"text": texts[1], "create_collection": True, "collection": "mcp-wait"},
            )
        )
        return {"waited": structured(waited), "progress": progress, "at_once": at_once}

    out = with_session(mcp_server.url, MCP_TOKEN, body)
    job = out["waited"]["job"]
    assert (out["waited"]["status"], job["status"]) == ("succeeded", "succeeded")
    assert job["result"]["documents"][0]["source"] == "shelf.md"
    progress = out["progress"]
    assert progress, "no progress notification arrived"
    assert [p[0] for p in progress] == sorted(p[0] for p in progress)  # in order
    assert progress[-1][:2] == (1.0, 1.0)  # ending at the final state
    assert progress[-1][2].startswith("succeeded")
    assert out["at_once"].get("job") is None  # without wait: its id at once, as before
    assert out["at_once"]["status"] == "queued"


def test_a_task_follows_its_job_and_cancelling_the_task_cancels_the_job(
    mcp_server: McpProcess,
) -> None:
    """A client that speaks MCP tasks (FastMCP's client, on the official SDK) gets a task where
    others get a job id: the task says how far the job is, ends with the ended job, and its
    cancel cancels the job."""
    site = slow_site(100, seconds=2)

    async def run() -> dict[str, Any]:
        transport = StreamableHttpTransport(f"{mcp_server.url}/mcp", auth=MCP_TOKEN)
        async with Client(transport) as client:
            ingest = await call_tool_task(
                client,
                "ingest_doc",
                {
                    "text": "The ledger room opens at nine.",
                    "create_collection": True,
                    "collection": "mcp-tasks",
                },
            )
            ended = await ingest.result()
            crawl = await call_tool_task(
                client,
                "crawl_web",
                {
                    "url": f"{site.url}/",
                    "max_pages": 100,
                    "create_collection": True,
                    "collection": "mcp-tasks",
                },
            )
            running = await crawl.status()
            for _ in range(300):  # until the crawl has read a page or two
                if re.match(r"running \(\w+\): [1-9]", running.status_message or ""):
                    break
                await asyncio.sleep(0.1)
                running = await crawl.status()
            await crawl.cancel()
            cancelled = await crawl.wait(timeout=30)
            jobs = await client.call_tool(
                "list_jobs", {"collection": "mcp-tasks", "kind": ["crawl"]}
            )
            plain = await client.call_tool(
                "ingest_doc",
                {"text": "A plain call.", "create_collection": True, "collection": "mcp-tasks"},
            )
            return {
                "created": ingest.create_result.status,
                "ended": ended.structured_content,
                "running": running,
                "cancelled": cancelled.status,
                "jobs": jobs.structured_content,
                "plain": plain.structured_content,
            }

    try:
        out = asyncio.run(run())
    finally:
        site.stop()
    assert out["created"] == "working"
    assert out["ended"]["job"]["status"] == "succeeded"
    assert out["ended"]["job"]["result"]["chunks"] == 1
    assert out["running"].status == "working"
    assert re.match(r"running \(\w+\): [1-9]\d* pages", out["running"].status_message)
    assert out["cancelled"] == "cancelled"
    (crawl_job,) = out["jobs"]["jobs"]
    assert crawl_job["status"] == "cancelled"
    assert crawl_job["progress"]["pages_fetched"] < 100
    # This client runs every call it can as a task, and waits for it: a plain call answers the
    # ended job. (A client that does not speak tasks gets the job's id at once, as before: see
    # test_waiting_on_an_ingest_reports_progress_then_answers_the_ended_job.)
    assert out["plain"]["job"]["status"] == "succeeded"


def test_a_listener_hears_each_change_of_a_job_and_no_job_it_may_not_read(
    mcp_server: McpProcess,
) -> None:
    """On protocol 2026-07-28 the official SDK's client listens to the job resource
    (`subscriptions/listen`): each change of the job is a ResourceUpdated, up to its end."""
    site = slow_site(3, seconds=1)

    async def run() -> dict[str, Any]:
        async with modern_client(mcp_server.url, MCP_TOKEN) as client:
            assert client.session.protocol_version == "2026-07-28"  # found by server/discover
            capabilities = client.session.server_capabilities
            job = (
                await client.call_tool(
                    "crawl_web",
                    {"url": f"{site.url}/", "create_collection": True, "collection": "mcp-listen"},
                )
            ).structured_content
            uri = f"shield://jobs/{job['job_id']}"
            heard: list[str] = []
            states: list[dict[str, Any]] = []
            async with client.listen(resource_subscriptions=[uri]) as subscription:
                async for event in subscription:
                    heard.append(str(event.uri))
                    read = await client.read_resource(uri)
                    states.append(json.loads(read.contents[0].text))
                    if states[-1]["status"] in ("succeeded", "failed", "cancelled"):
                        break
            with pytest.raises(MCPError) as refused:
                async with client.listen(resource_subscriptions=["shield://jobs/0123abcd"]):
                    pass
            return {
                "subscribe": capabilities.resources.subscribe if capabilities else None,
                "uri": uri,
                "heard": heard,
                "states": states,
                "refused": str(refused.value),
            }

    try:
        out = asyncio.run(asyncio.wait_for(run(), 120))
    finally:
        site.stop()
    assert out["subscribe"] is True
    assert len(out["heard"]) >= 2  # the job moved more than once: stages, then pages
    assert set(out["heard"]) == {out["uri"]}
    pages = [state["progress"]["pages_fetched"] for state in out["states"]]
    assert pages == sorted(pages)
    assert out["states"][-1]["status"] == "succeeded"
    assert out["states"][-1]["progress"]["pages_fetched"] == 4
    assert "shield://jobs/0123abcd" in out["refused"]
    assert "no job" in out["refused"]


# --- third-party clients (tests/clients, installed by scripts/bootstrap.sh) ---------------------

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
NODE_BIN = CLIENTS / "node_modules" / ".bin"


def _inspector(mcp_server: McpProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(NODE_BIN / "mcp-inspector"),
            "--cli",
            f"{mcp_server.url}/mcp",
            "--header",
            f"Authorization: Bearer {MCP_TOKEN}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_mcp_inspector_finds_no_problem_and_drives_every_kind_of_call(
    mcp_server: McpProcess,
) -> None:
    listed = _inspector(mcp_server, "--method", "tools/list", "--strict")
    assert listed.returncode == 0, listed.stderr
    tools = {tool["name"]: tool for tool in json.loads(listed.stdout)["tools"]}
    assert tools["qdrant_find"]["annotations"]["readOnlyHint"] is True
    assert tools["delete_document"]["annotations"]["destructiveHint"] is True

    stored = _inspector(
        mcp_server, "--method", "tools/call", "--tool-name", "qdrant_store",
        "--tool-arg", "text=Inspector notes live on shelf nine.", "collection=mcp-inspector",
        "create_collection=true",
    )  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    found = _inspector(
        mcp_server, "--method", "tools/call", "--tool-name", "qdrant_find",
        "--tool-arg", "query=which shelf", "collection=mcp-inspector",
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    assert (
        answer["structuredContent"]["results"][0]["text"] == "Inspector notes live on shelf nine."
    )
    document = _inspector(
        mcp_server, "--method", "resources/read",
        "--uri", "shield://collections/mcp-inspector/documents",
    )  # fmt: skip
    assert document.returncode == 0, document.stderr
    assert "mcp-inspector" in json.loads(document.stdout)["contents"][0]["text"]
    prompt = _inspector(
        mcp_server, "--method", "prompts/get", "--prompt-name", "summarise_collection",
        "--prompt-args", "collection=mcp-inspector",
    )  # fmt: skip
    assert prompt.returncode == 0, prompt.stderr
    text = json.loads(prompt.stdout)["messages"][0]["content"]["text"]
    assert 'Summarise what the collection "mcp-inspector" holds.' in text


def test_a_typescript_sdk_client_stores_waits_with_progress_finds_reads_and_subscribes(
    mcp_server: McpProcess,
) -> None:
    """The official TypeScript SDK's client, on its own protocol version (before 2026-07-28):
    it follows a crawl by resources/subscribe and the updates sent on its connection."""
    site = slow_site(3, seconds=1)
    try:
        run = subprocess.run(
            [
                "node",
                str(CLIENTS / "shield-client.mjs"),
                f"{mcp_server.url}/mcp",
                MCP_TOKEN,
                "mcp-ts",
                f"{site.url}/",
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        site.stop()
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert all(tool["output"] for tool in seen["tools"])  # and the SDK validated each answer
    assert seen["ingested"]["job"]["status"] == "succeeded"
    assert seen["progress"][-1]["progress"] == seen["progress"][-1]["total"] == 1
    assert seen["found"]["results"][0]["source"] == "ferry.md"
    assert seen["foundText"].startswith("2 passages from collection mcp-ts (hybrid search)")
    assert seen["document"] == "# Ferry\n\nThe ferry to Gullholm leaves at noon."
    followed = seen["followed"]
    assert followed["subscribe"] is True
    assert len(followed["updates"]) >= 2  # the job moved more than once: stages, then pages
    assert set(followed["updates"]) == {followed["uri"]}
    pages = [state["pages"] for state in followed["states"]]
    assert pages == sorted(pages)
    assert followed["states"][-1] == {"status": "succeeded", "pages": 4}
    assert "shield://jobs/0123abcd" in followed["refused"]
    assert "no job" in followed["refused"]


def test_mcp_remote_bridges_a_stdio_client_to_shield_mcp(mcp_server: McpProcess) -> None:
    """The configuration docs/guides/CLIENT_INTEGRATION.md shows, with this server and token."""
    guide = Path(__file__).resolve().parents[2] / "docs" / "guides" / "CLIENT_INTEGRATION.md"
    block = re.search(r"```json mcp-remote\n(.*?)```", guide.read_text(), re.S)
    assert block, "no mcp-remote example in the client guide"
    shown = json.loads(block.group(1))["mcpServers"]["shield"]
    assert shown["command"] == "npx"
    package, url, *rest = shown["args"]
    assert (package, url) == ("mcp-remote", "http://127.0.0.1:8000/mcp")
    bridge = StdioServerParameters(
        command=str(NODE_BIN / "mcp-remote"),
        args=[f"{mcp_server.url}/mcp", *rest],
        env={
            **os.environ,
            "AUTH_HEADER": shown["env"]["AUTH_HEADER"].replace("<the shield-mcp token>", MCP_TOKEN),
        },
    )

    async def through_the_bridge() -> list[str]:
        async with stdio_client(bridge) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return [tool.name for tool in (await session.list_tools()).tools]

    assert "qdrant_find" in asyncio.run(asyncio.wait_for(through_the_bridge(), 120))


def test_a_tool_is_a_plain_function_a_caller_can_run_alone(api: ApiServer) -> None:
    """No MCP server around it: the tool functions take their client of shield-api as an
    argument, so each can be called (and tested) by itself."""
    from shield.config import McpSettings
    from shield.mcp.api import ShieldApi
    from shield.mcp.tools import TOOLS
    from shield.mcp.tools.documents import list_documents
    from shield.mcp.tools.search import qdrant_find, qdrant_store

    async def run() -> tuple[Any, Any, Any]:
        shield = ShieldApi.from_settings(McpSettings(api_url=api.url, api_token=TOKEN))
        note = "The spare ferry key hangs behind the harbour office door."
        stored = await qdrant_store(
            text=note, collection="mcp-alone", create_collection=True, shield=shield
        )
        query = "where is the spare ferry key"
        found = await qdrant_find(query=query, collection="mcp-alone", shield=shield)
        listed = await list_documents(collection="mcp-alone", shield=shield)
        return stored, found, listed

    stored, found, listed = asyncio.run(run())
    assert stored.documents[0].chunks == 1
    assert "behind the harbour office door" in found.content[0].text
    assert listed.total == 1
    assert [tool.name for tool in TOOLS] == [
        "qdrant_find", "qdrant_store", "crawl_web", "ingest_doc", "get_job_status", "list_jobs",
        "cancel_job", "lightrag_query", "list_documents", "delete_document", "list_collections",
        "list_sources", "sync_source",
    ]  # fmt: skip
