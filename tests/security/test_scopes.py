"""Scopes over the whole table of routes by tokens, read from the application's own routes (a
route added tomorrow must say here what it needs, or this fails): a token for another collection
gets 403, a reader cannot write, only an admin administers, only Shield's own token reaches the
workers' routes, and a revoked or expired token gets 401 everywhere. Then the same through
shield-mcp's tools and resources, for a named token and for an identity provider's JWT."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastmcp.server.auth.providers.jwt import RSAKeyPair
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult

from shield.access.tokens import GENERATION_KEY, TABLE_KEY, digest
from shield.api.app import create_app
from support.mcp import McpProcess, modern_client, with_session
from support.services import TOKEN, api_settings
from tests.security.conftest import Stack
from tests.security.test_auth import OPEN_API

HERE, THERE = "scoped", "elsewhere"
NAMED = ("reader", "writer", "other", "admin")
SCOPES = {
    "reader": [f"read:{HERE}"],
    "writer": [f"write:{HERE}"],
    "other": [f"read:{THERE}", f"write:{THERE}"],
    "admin": ["admin"],
}
# Which callers each need lets through; everyone else gets 403.
ALLOWED = {
    "read": {"reader", "writer", "admin", "service"},
    "write": {"writer", "admin", "service"},
    "admin": {"admin", "service"},
    "service": {"service"},
    "anyone": {"reader", "writer", "other", "admin", "service"},
}


@dataclass
class Grants:
    secrets: dict[str, str]  # caller -> bearer token
    revoked: str
    expired: str
    document_id: str
    job_id: str
    source_id: str

    def headers(self, caller: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[caller]}"}


@pytest.fixture(scope="module")
def grants(stack: Stack) -> Grants:
    secrets = {"service": TOKEN}
    with stack.api.client() as api:
        for name in (*NAMED, "revoked"):
            made = api.post("/tokens", json={"name": name, "scopes": SCOPES.get(name, ["admin"])})
            assert made.status_code == 201, made.text
            secrets[name] = made.json()["token"]
        assert api.delete("/tokens/revoked").status_code == 200
        for collection in (HERE, THERE):
            note = {"text": f"a note in {collection}", "collection": collection}
            stored = api.post("/store", json={**note, "create_collection": True})
            assert stored.status_code == 200, stored.text
        listed = api.get("/documents", params={"collection": HERE}).json()["documents"]
        job = api.post(
            "/ingest-async", json={"kind": "document", "text": "job text", "collection": HERE}
        )
        assert job.status_code == 202, job.text
        source = api.post(
            "/sources",
            json={"kind": "web", "url": "https://docs.example.org/", "collection": HERE},
        )
        assert source.status_code == 201, source.text
        source_id = source.json()["source_id"]
    # A token whose time is up: written as shield-api would have, its expiry in the past.
    expired = "an-expired-token-0123456789abcdef"
    record = {
        "name": "expired",
        "scopes": ["admin"],
        "created_at": "2026-01-01T00:00:00+00:00",
        "expires_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(),
        "digest": digest(expired),
    }
    with stack.redis.client() as redis:
        redis.hset(TABLE_KEY, "expired", json.dumps(record))
        redis.incr(GENERATION_KEY)
        # The source seen syncing, so that a removal allowed by scope answers 409 and keeps it.
        redis.set(f"shield:source:{source_id}:sync", job.json()["job_id"], ex=3600)
    revoked = secrets.pop("revoked")
    job_id = job.json()["job_id"]
    return Grants(secrets, revoked, expired, listed[0]["document_id"], job_id, source_id)


def route_requests(
    doc: str, job: str, source: str = "s1"
) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """Every guarded route of shield-api: what it needs, and a valid request about HERE (a
    request that fails validation would answer 422 before any scope is looked at)."""
    here = {"collection": HERE}
    internal = f"/internal/collections/{HERE}/documents/{doc}"
    return {
        ("GET", "/collections"): ("anyone", {}),  # lists what the caller may read
        ("POST", "/collections"): ("admin", {"json": {"name": "made-by-scope-test"}}),
        ("DELETE", "/collections/{collection}"): (
            "admin",
            {"url": "/collections/never-made", "params": {"confirm": "never-made"}},
        ),
        ("POST", "/collections/{collection}/reindex"): (
            "admin",
            {"url": f"/collections/{HERE}/reindex"},
        ),
        ("GET", "/documents"): ("read", {"params": here}),
        ("GET", "/documents/{document_id}"): ("read", {"url": f"/documents/{doc}", "params": here}),
        ("GET", "/documents/{document_id}/text"): (
            "read",
            {"url": f"/documents/{doc}/text", "params": here},
        ),
        ("DELETE", "/documents/{document_id}"): (
            "write",
            {"url": "/documents/not-there", "params": here},
        ),
        ("GET", "/sources"): ("anyone", {}),  # lists what the caller may read
        ("POST", "/sources"): (
            "write",
            {"json": {"kind": "sitemap", "url": "https://example.org/sitemap.xml", **here}},
        ),
        ("GET", "/sources/{source_id}"): ("read", {"url": f"/sources/{source}"}),
        ("PATCH", "/sources/{source_id}"): (
            "write",
            {"url": f"/sources/{source}", "json": {"name": "docs"}},
        ),
        ("DELETE", "/sources/{source_id}"): ("write", {"url": f"/sources/{source}"}),
        ("POST", "/sources/{source_id}/sync"): ("write", {"url": f"/sources/{source}/sync"}),
        ("POST", "/search"): ("read", {"json": {"query": "note", **here}}),
        ("POST", "/store"): ("write", {"json": {"text": "one more note", **here}}),
        ("POST", "/ingest-async"): ("write", {"json": {"kind": "document", "text": "x", **here}}),
        ("POST", "/ingest-async/upload"): (
            "write",
            {"files": {"file": ("note.md", b"# A note\n\nSome text.\n")}, "data": here},
        ),
        ("POST", "/lightrag/query"): ("read", {"json": {"query": "note", "mode": "naive", **here}}),
        ("POST", "/lightrag/relation"): ("read", {"json": {"source": "a", "target": "b", **here}}),
        ("GET", "/jobs"): ("read", {"params": here}),
        ("POST", "/jobs/cancel"): ("write", {"json": here}),
        ("GET", "/jobs/{job_id}"): ("read", {"url": f"/jobs/{job}"}),
        ("DELETE", "/jobs/{job_id}"): ("write", {"url": f"/jobs/{job}"}),
        ("GET", "/jobs/{job_id}/events"): ("read", {"url": f"/jobs/{job}/events"}),
        ("POST", "/backup"): ("admin", {}),
        ("POST", "/restore"): ("admin", {"content": b"not an archive"}),
        ("POST", "/tokens"): ("admin", {"json": {"name": "made-by-test", "scopes": ["read:x"]}}),
        ("GET", "/tokens"): ("admin", {}),
        ("PUT", "/tokens/{name}"): (
            "admin",
            {"url": "/tokens/provisioned", "json": {"token": "p1" * 16, "scopes": ["read:x"]}},
        ),
        ("DELETE", "/tokens/{name}"): ("admin", {"url": "/tokens/nobody"}),
        ("GET", "/whoami"): ("anyone", {}),
        ("GET", "/metrics"): ("admin", {}),
        ("GET", "/internal/collections/{collection}/documents/{document_id}"): (
            "service",
            {"url": internal},
        ),
        ("PUT", "/internal/collections/{collection}/documents/{document_id}"): (
            "service",
            {"url": internal, "json": {}},
        ),
        ("POST", "/internal/collections/{collection}/documents/{document_id}/graph"): (
            "service",
            {"url": f"{internal}/graph"},
        ),
    }


def guarded_routes() -> set[tuple[str, str]]:
    app = create_app(api_settings("redis://127.0.0.1:1/0", Path("/nonexistent")))
    return {
        (method, str(route.path))
        for route in iter_route_contexts(app.routes)
        if route.path not in OPEN_API
        for method in route.methods or ()
        if method != "HEAD"
    }


ROUTES = sorted(route_requests("doc", "job"))


def test_the_table_names_every_guarded_route_of_the_api() -> None:
    assert set(ROUTES) == guarded_routes(), "say in route_requests() what a new route needs"


def send(
    stack: Stack, route: tuple[str, str], request: dict[str, Any], token: str
) -> httpx.Response:
    method, path = route
    kwargs = dict(request)
    url = stack.api.url + kwargs.pop("url", path)
    headers = {"Authorization": f"Bearer {token}"}
    if path.endswith("/events"):  # a stream: a refusal's body, or the status of the stream
        with httpx.stream(method, url, headers=headers, timeout=30, **kwargs) as response:
            if response.status_code >= 400:
                response.read()
            return response
    return httpx.request(method, url, headers=headers, timeout=120, **kwargs)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_lets_through_exactly_the_scopes_it_needs(
    stack: Stack, grants: Grants, route: tuple[str, str]
) -> None:
    need, request = route_requests(grants.document_id, grants.job_id, grants.source_id)[route]
    for caller, token in grants.secrets.items():
        response = send(stack, route, request, token)
        if caller in ALLOWED[need]:
            assert response.status_code not in (401, 403), (caller, response.text[:300])
        else:
            assert response.status_code == 403, (caller, response.status_code, response.text[:300])
            error = response.json()["error"]
            assert "needs scope" in error["message"], error
    for refused in (grants.revoked, grants.expired):
        response = send(stack, route, request, refused)
        assert response.status_code == 401, response.text[:300]


def test_listings_show_only_what_the_caller_may_read(stack: Stack, grants: Grants) -> None:
    def listed(caller: str, path: str, key: str, field: str) -> set[str]:
        response = httpx.get(stack.api.url + path, headers=grants.headers(caller), timeout=30)
        assert response.status_code == 200, response.text
        return {item[field] for item in response.json()[key]}

    assert HERE in listed("reader", "/collections", "collections", "name")
    assert THERE not in listed("reader", "/collections", "collections", "name")
    assert HERE not in listed("other", "/collections", "collections", "name")
    assert {HERE, THERE} <= listed("admin", "/collections", "collections", "name")
    assert grants.job_id in listed("reader", "/jobs", "jobs", "job_id")
    assert listed("other", "/jobs", "jobs", "collection") <= {THERE}
    cancelled = httpx.post(
        f"{stack.api.url}/jobs/cancel", json={}, headers=grants.headers("other"), timeout=30
    )
    assert cancelled.status_code == 200
    states = [
        httpx.get(f"{stack.api.url}/jobs/{j}", headers=grants.headers("admin")).json()
        for j in cancelled.json()["cancelled"]
    ]
    assert all(state["collection"] == THERE for state in states)


def test_a_denial_is_audited_by_name_and_no_token_is_logged(stack: Stack, grants: Grants) -> None:
    refused = httpx.post(
        f"{stack.api.url}/search",
        json={"query": "x", "collection": THERE},
        headers=grants.headers("reader"),
        timeout=30,
    )
    assert refused.status_code == 403
    lines = [json.loads(line) for line in stack.logs()["api.log"].splitlines() if '"audit"' in line]
    assert any(
        line["event"] == "access_denied"
        and line["who"] == "reader"
        and line["what"] == "POST /search"
        and line["collection"] == THERE
        for line in lines
    ), lines[-5:]
    assert any(line["event"] == "token_created" and line["name"] == "reader" for line in lines)
    logs = "\n".join(stack.logs().values())
    for token in (*grants.secrets.values(), grants.revoked):
        assert token not in logs


# What every MCP tool is asked about HERE by a caller who may read and write only THERE.
def tool_calls(job: str, doc: str, source: str) -> dict[str, dict[str, Any]]:
    here = {"collection": HERE}
    return {
        "qdrant_find": {"query": "note", **here},
        "qdrant_store": {"text": "a note", **here},
        "crawl_web": {"url": "https://example.org/", **here},
        "ingest_doc": {"text": "a document", **here},
        "get_job_status": {"job_id": job},
        "list_jobs": here,
        "cancel_job": {"job_id": job},
        "lightrag_query": {"query": "note", **here},
        "list_documents": here,
        "delete_document": {"document_id": doc, **here},
        "list_sources": here,
        "sync_source": {"source_id": source},
    }


def refused(result: CallToolResult, scope: str) -> bool:
    text = " ".join(getattr(part, "text", "") for part in result.content)
    return result.is_error and f"needs scope {scope}" in text


def test_through_mcp_a_token_opens_its_own_collections_only(stack: Stack, grants: Grants) -> None:
    calls = tool_calls(grants.job_id, grants.document_id, grants.source_id)

    async def as_other(session: ClientSession) -> None:
        listed = {tool.name for tool in (await session.list_tools()).tools}
        assert listed == {*calls, "list_collections"}, "say in tool_calls() what a new tool asks"
        writers = {
            "qdrant_store", "crawl_web", "ingest_doc", "cancel_job", "delete_document",
            "sync_source",
        }  # fmt: skip
        for tool, arguments in calls.items():
            wanted = "write" if tool in writers else "read"
            result = await session.call_tool(tool, arguments)
            assert refused(result, f"{wanted}:{HERE}"), (tool, result.content)
        collections = (await session.call_tool("list_collections", {})).structured_content
        assert collections is not None
        assert HERE not in {c["name"] for c in collections["collections"]}
        with pytest.raises(Exception, match=f"read:{HERE}"):
            await session.read_resource(f"shield://collections/{HERE}/documents")

    with_session(stack.mcp.url, grants.secrets["other"], as_other)

    async def as_reader(session: ClientSession) -> None:
        listed = {tool.name for tool in (await session.list_tools()).tools}
        assert "qdrant_store" not in listed
        assert "delete_document" not in listed
        assert {"qdrant_find", "list_collections", "get_job_status"} <= listed
        found = await session.call_tool("qdrant_find", {"query": "note", "collection": HERE})
        assert not found.is_error, found.content
        job = await session.call_tool("get_job_status", {"job_id": grants.job_id})
        assert not job.is_error, job.content
        elsewhere = await session.call_tool("qdrant_find", {"query": "x", "collection": THERE})
        assert refused(elsewhere, f"read:{THERE}")

    with_session(stack.mcp.url, grants.secrets["reader"], as_reader)
    for token in (grants.revoked, grants.expired):
        response = httpx.post(
            f"{stack.mcp.url}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json, text/event-stream",
            },
            timeout=30,
        )
        assert response.status_code == 401


# resources/subscribe is what the clients before protocol 2026-07-28 send; the SDK's client warns
# that the new protocol replaced it, and this test sends it on purpose.
@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
def test_through_mcp_only_a_job_the_caller_may_read_can_be_subscribed_to(
    stack: Stack, grants: Grants
) -> None:
    """Both ways: resources/subscribe (protocol versions before 2026-07-28) and
    subscriptions/listen."""
    uri = f"shield://jobs/{grants.job_id}"
    subscribed: dict[str, str] = {}

    def subscribe(name: str) -> None:
        async def body(session: ClientSession) -> None:
            try:
                await session.subscribe_resource(uri)
                subscribed[name] = "subscribed"
            except MCPError as exc:
                subscribed[name] = str(exc)

        with_session(stack.mcp.url, grants.secrets[name], body)

    subscribe("other")
    subscribe("reader")
    assert f"needs scope read:{HERE}" in subscribed["other"]
    assert subscribed["reader"] == "subscribed"

    async def listen(token: str) -> str:
        async with modern_client(stack.mcp.url, token) as client:
            try:
                async with client.listen(resource_subscriptions=[uri]) as subscription:
                    return f"acknowledged {subscription.honored.resource_subscriptions}"
            except MCPError as exc:
                return str(exc)

    assert f"needs scope read:{HERE}" in asyncio.run(listen(grants.secrets["other"]))
    assert asyncio.run(listen(grants.secrets["reader"])) == f"acknowledged {[uri]}"


def test_through_mcp_a_jwt_opens_the_shield_scopes_of_its_claim(
    stack: Stack, grants: Grants, tmp_path: Path
) -> None:
    keys = RSAKeyPair.generate()
    issuer, audience = "https://idp.example.org", "shield-mcp"
    mcp = McpProcess(
        stack.api,
        tmp_path / "mcp-jwt.log",
        SHIELD_MCP_JWT_PUBLIC_KEY=keys.public_key,
        SHIELD_MCP_JWT_ISSUER=issuer,
        SHIELD_MCP_JWT_AUDIENCE=audience,
    )
    try:
        alice = keys.create_token(
            subject="alice@example.org",
            issuer=issuer,
            audience=audience,
            additional_claims={"scope": f"openid shield:read:{HERE}"},
        )

        async def as_alice(session: ClientSession) -> None:
            listed = {tool.name for tool in (await session.list_tools()).tools}
            assert "qdrant_store" not in listed
            found = await session.call_tool("qdrant_find", {"query": "note", "collection": HERE})
            assert not found.is_error, found.content
            elsewhere = await session.call_tool("qdrant_find", {"query": "x", "collection": THERE})
            assert refused(elsewhere, f"read:{THERE}")

        with_session(mcp.url, alice, as_alice)
    finally:
        mcp.stop()
