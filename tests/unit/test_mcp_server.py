"""Every tool's annotations say what it does; read-only mode registers no tool that writes;
calls past the concurrency limit are refused."""

from __future__ import annotations

import asyncio

import pytest
from fastmcp.exceptions import ToolError
from fastmcp.server.auth.providers.jwt import RSAKeyPair
from prometheus_client import REGISTRY
from pydantic import ValidationError

from shield.config import McpSettings
from shield.mcp.api import ShieldApi
from shield.mcp.server import CallLimiter, build_server, build_verifier

WRITE_TOOLS = {
    "qdrant_store", "ingest_doc", "crawl_web", "delete_document", "cancel_job", "sync_source"
}  # fmt: skip


def tool_names(read_only: bool) -> set[str]:
    server = build_server(McpSettings(read_only=read_only))
    return {tool.name for tool in asyncio.run(server.list_tools())}


def test_read_only_mode_has_no_write_tools() -> None:
    assert tool_names(read_only=False) >= WRITE_TOOLS
    read_only = tool_names(read_only=True)
    assert not WRITE_TOOLS & read_only
    readers = {"qdrant_find", "get_job_status", "list_jobs", "list_documents", "list_collections"}
    assert readers <= read_only


# What each tool does, as a client must be told: (read only, may replace or remove, the same
# call twice does no more than once, reaches the web).
BEHAVIOUR = {
    "qdrant_find": (True, False, True, False),
    "get_job_status": (True, False, True, False),
    "list_jobs": (True, False, True, False),
    "list_documents": (True, False, True, False),
    "list_collections": (True, False, True, False),
    "lightrag_query": (True, False, True, False),
    "qdrant_store": (False, True, True, False),  # a text of the same source is replaced
    "ingest_doc": (False, True, True, True),  # fetches URLs; an unchanged document stays as it is
    "crawl_web": (False, True, False, True),  # each call is a new crawl of a site that changes
    "delete_document": (False, True, True, False),
    "cancel_job": (False, True, True, False),  # stops work; cancelled twice is cancelled once
    "list_sources": (True, False, True, False),
    # Removes what the source lost; reads the web; an unchanged source synced twice stays so.
    "sync_source": (False, True, True, True),
}


def test_every_tool_says_what_it_does_in_its_annotations() -> None:
    tools = asyncio.run(build_server(McpSettings()).list_tools())
    assert {tool.name for tool in tools} == set(BEHAVIOUR)
    for tool in tools:
        hints = tool.annotations
        assert hints is not None, tool.name
        assert hints.title, tool.name
        assert tool.title == hints.title, tool.name
        said = (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        )
        assert said == BEHAVIOUR[tool.name], tool.name
    assert {name for name, (reads, *_) in BEHAVIOUR.items() if not reads} == WRITE_TOOLS


def test_a_read_only_server_offers_nothing_destructive() -> None:
    tools = asyncio.run(build_server(McpSettings(read_only=True)).list_tools())
    assert tools
    for tool in tools:
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True, tool.name
        assert tool.annotations.destructive_hint is False, tool.name


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


ISSUER, AUDIENCE = "https://id.example.org", "shield-mcp"


def jwt_settings(keys: RSAKeyPair, **extra: str) -> McpSettings:
    values = {
        "mcp_jwt_public_key": keys.public_key,
        "mcp_jwt_issuer": ISSUER,
        "mcp_jwt_audience": AUDIENCE,
        **extra,
    }
    return McpSettings(api_url="http://127.0.0.1:1", **values)  # type: ignore[arg-type]


def test_jwts_of_the_provider_for_this_audience_pass_and_others_do_not() -> None:
    keys, stranger = RSAKeyPair.generate(), RSAKeyPair.generate()
    settings = jwt_settings(keys, mcp_token="shared-token-0123456789abcdef")
    verifier = build_verifier(settings, ShieldApi.from_settings(settings))
    assert verifier is not None

    def accepted(token: str) -> bool:
        return asyncio.run(verifier.verify_token(token)) is not None

    assert accepted(keys.create_token(issuer=ISSUER, audience=AUDIENCE))
    assert accepted("shared-token-0123456789abcdef")  # Prometheus keeps its token
    assert not accepted(keys.create_token(issuer=ISSUER, audience="another-service"))
    assert not accepted(keys.create_token(issuer="https://evil.example", audience=AUDIENCE))
    assert not accepted(keys.create_token(issuer=ISSUER, audience=AUDIENCE, expires_in_seconds=-60))
    assert not accepted(stranger.create_token(issuer=ISSUER, audience=AUDIENCE))
    assert not accepted("shared-token-0123456789abcdeX")


def test_a_jwt_carries_the_shield_scopes_of_its_claim_and_nothing_else() -> None:
    keys = RSAKeyPair.generate()
    settings = jwt_settings(keys, mcp_jwt_scopes_claim="permissions")
    verifier = build_verifier(settings, ShieldApi.from_settings(settings))
    assert verifier is not None

    def scopes(claim: object) -> list[str]:
        token = keys.create_token(
            issuer=ISSUER, audience=AUDIENCE, additional_claims={"permissions": claim}
        )
        access = asyncio.run(verifier.verify_token(token))
        assert access is not None
        return access.scopes

    assert scopes(["shield:read:ops", "shield:write:legal", "calendar:read"]) == [
        "read:ops",
        "write:legal",
    ]
    assert scopes("shield:admin openid") == ["admin"]  # a space-separated string too
    assert scopes(["shield:read:../etc", "shield:root", 7]) == []  # malformed: dropped
    assert scopes(None) == []  # no claim: no scope, not every scope


def test_jwts_need_an_issuer_and_an_audience() -> None:
    keys = RSAKeyPair.generate()
    with pytest.raises(ValidationError, match="SHIELD_MCP_JWT_ISSUER and SHIELD_MCP_JWT_AUDIENCE"):
        McpSettings(api_url="http://127.0.0.1:1", mcp_jwt_public_key=keys.public_key)  # type: ignore[arg-type]
    # A JWT provider is enough to listen beyond loopback.
    assert jwt_settings(keys, host="0.0.0.0").jwt_configured


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"mcp_jwt_public_key": "ssh-rsa AAAAB3NzaC1yc2E"}, "is not a PEM public key"),
        ({"mcp_jwt_public_key": "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n"}, "is not a PEM"),
        ({"mcp_jwt_jwks_uri": "id.example.org/jwks.json"}, "http\\(s\\) URL of the provider"),
        (
            {"mcp_jwt_jwks_uri": "https://id.example.org/jwks", "mcp_jwt_public_key": "x"},
            "not both",
        ),
    ],
)
def test_a_jwt_provider_that_could_never_verify_a_token_is_refused(
    settings: dict[str, str], error: str
) -> None:
    # Not at the first request (every JWT refused with no reason given): at the start.
    with pytest.raises(ValidationError, match=error):
        McpSettings(
            api_url="http://127.0.0.1:1",  # type: ignore[arg-type]
            mcp_jwt_issuer=ISSUER,
            mcp_jwt_audience=AUDIENCE,
            **settings,  # type: ignore[arg-type]
        )
