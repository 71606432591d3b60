"""The MCP server: Shield's tools (`shield.mcp.tools`, each a thin call to shield-api), its
resources, prompts and job subscriptions, behind its token check.

Write tools are not registered at all in read-only mode. Every tool call is counted and timed
(`shield_tool_calls_total`, `shield_tool_duration_seconds`), and at most
SHIELD_MAX_CONCURRENT_CALLS run at once (`shield_tool_rejections_total` counts the refused).
FastMCP's custom routes bypass its auth: `/healthz` stays open (it says nothing but "alive"),
`/metrics` checks the token itself.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import ParamSpec, TypeVar

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.auth import AuthProvider, RemoteAuthProvider
from fastmcp.server.auth.providers.jwt import JWTVerifier
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shield import __version__
from shield.config import McpSettings, secret_value
from shield.errors import DependencyUnavailable
from shield.mcp.access import (
    ShieldTokenVerifier,
    may_read_somewhere,
    may_write_somewhere,
    principal_of,
)
from shield.mcp.api import ShieldApi
from shield.mcp.prompts import add_prompts
from shield.mcp.resources import add_resources
from shield.mcp.subscriptions import add_subscriptions
from shield.mcp.tasks import TASK_OPTIONAL, ShieldTasks
from shield.mcp.tools import TOOLS
from shield.mcp.tools.common import bind
from shield.mcp.unauthorized import INVALID, MISSING
from shield.metrics import TOOL_CALLS, TOOL_DURATION, TOOL_REJECTIONS
from shield.web.tokens import bearer_token

P = ParamSpec("P")
T = TypeVar("T")


def build_verifier(settings: McpSettings, api: ShieldApi) -> ShieldTokenVerifier | None:
    """None when shield-mcp demands no token (it then listens on loopback only)."""
    token = secret_value(settings.mcp_token)
    jwt = None
    if settings.jwt_configured:
        jwt = JWTVerifier(
            jwks_uri=settings.mcp_jwt_jwks_uri,
            public_key=settings.mcp_jwt_public_key,
            issuer=settings.mcp_jwt_issuer,
            audience=settings.mcp_jwt_audience,
            algorithm=settings.mcp_jwt_algorithm,
        )
    if not token and jwt is None:
        return None
    return ShieldTokenVerifier(token, jwt, api, settings.mcp_jwt_scopes_claim)


def build_auth(settings: McpSettings, api: ShieldApi) -> AuthProvider | None:
    """The token check; with an identity provider and SHIELD_MCP_PUBLIC_URL, also the OAuth
    protected resource metadata the MCP authorization specification asks for (RFC 9728): served
    at /.well-known/oauth-protected-resource/mcp and named by the WWW-Authenticate of every 401,
    so that a client learns where to get a token for this server's audience."""
    verifier = build_verifier(settings, api)
    if verifier is None or settings.mcp_public_url is None:
        return verifier
    return RemoteAuthProvider(
        token_verifier=verifier,
        authorization_servers=[AnyHttpUrl(str(settings.mcp_jwt_issuer))],
        base_url=settings.mcp_public_url,
        resource_name="Shield",
    )


class CallLimiter:
    """At most `limit` tool calls at once; one more is refused at once with retry_after, so a
    flood of calls cannot pile up behind a slow shield-api."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running = 0

    @contextlib.asynccontextmanager
    async def slot(self, tool: str) -> AsyncIterator[None]:
        if self.running >= self.limit:
            TOOL_REJECTIONS.labels(tool).inc()
            raise ToolError(f"shield-mcp is busy ({self.running} calls running); retry_after: 1 s")
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1


TOOL_STATUSES = ("ok", "invalid", "error")


def measured(
    name: str, limiter: CallLimiter
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    # Every series at 0 from the start: a series born at its first event hides that event from
    # rate(), so the first failure would reach no dashboard and no alert.
    for status in TOOL_STATUSES:
        TOOL_CALLS.labels(name, status)
    TOOL_DURATION.labels(name)
    TOOL_REJECTIONS.labels(name)

    def decorate(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            async with limiter.slot(name):
                return await _timed(name, fn, *args, **kwargs)

        return wrapper

    return decorate


async def _timed(name: str, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
    start = time.perf_counter()
    status = "error"
    try:
        result = await fn(*args, **kwargs)
        status = "ok"
        return result
    except ToolError as exc:
        # Bad input and shield-api's 4xx answers are the caller's; they spend no error budget.
        if not isinstance(exc.__cause__, DependencyUnavailable):
            status = "invalid"
        raise
    finally:
        TOOL_CALLS.labels(name, status).inc()
        TOOL_DURATION.labels(name).observe(time.perf_counter() - start)


def build_server(settings: McpSettings, api: ShieldApi | None = None) -> FastMCP:
    shield = api or ShieldApi.from_settings(settings)
    verifier = build_auth(settings, shield)
    mcp = FastMCP(
        "shield",
        version=__version__,  # serverInfo.version: Shield's, not FastMCP's
        instructions="Search and grow a self-hosted knowledge base: find passages with "
        "qdrant_find (questions a passage answers on its own); ask lightrag_query how named "
        "things relate across documents (who built the place someone keeps); add text with "
        "qdrant_store or ingest_doc, follow jobs with get_job_status. Cite the sources and "
        "document ids the answers give.",
        auth=verifier,
    )
    mcp.add_extension(ShieldTasks(settings.mcp_task_concurrency))

    limiter = CallLimiter(settings.max_concurrent_calls)

    bind(mcp, shield, settings)
    for tool in TOOLS:
        # A read-only server lists no tool that writes; a tool that writes is listed only to
        # callers who may write somewhere. `output`: the model of a tool that answers a
        # ToolResult (its schema is the tool's output schema); `task`: a client that speaks
        # MCP tasks may run it as one.
        if not tool.annotations.read_only_hint and settings.read_only:
            continue
        mcp.tool(
            name=tool.name,
            title=tool.annotations.title,
            annotations=tool.annotations,
            auth=may_read_somewhere if tool.annotations.read_only_hint else may_write_somewhere,
            output_schema=... if tool.output is None else tool.output.model_json_schema(),
            task=TASK_OPTIONAL if tool.task else None,
        )(measured(tool.name, limiter)(tool.fn))

    add_resources(mcp, shield)
    add_prompts(mcp)
    add_subscriptions(mcp, shield)

    @mcp.custom_route("/healthz", methods=["GET"])
    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    @mcp.custom_route("/metrics", methods=["GET"])
    async def metrics(request: Request) -> Response:
        if verifier is not None:  # custom routes bypass FastMCP's auth: the same check here
            given = bearer_token(request.headers.get("authorization"))
            access = await verifier.verify_token(given) if given is not None else None
            if access is None:
                message = INVALID if given is not None else MISSING
                return JSONResponse(
                    {"error": {"code": "unauthorized", "message": message}}, status_code=401
                )
            principal = principal_of(access)
            if principal is not None and not principal.is_admin:
                return JSONResponse(
                    {"error": {"code": "forbidden", "message": "/metrics needs scope admin"}},
                    status_code=403,
                )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return mcp
