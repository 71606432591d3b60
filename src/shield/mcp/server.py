"""The MCP server: Shield's tools, each a thin call to shield-api.

Write tools are not registered at all in read-only mode. Every tool call is counted and timed
(`shield_tool_calls_total`, `shield_tool_duration_seconds`), and at most
SHIELD_MAX_CONCURRENT_CALLS run at once (`shield_tool_rejections_total` counts the refused).
FastMCP's custom routes bypass its auth: `/healthz` stays open (it says nothing but "alive"),
`/metrics` checks the token itself.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from fastmcp import Context, FastMCP
from fastmcp.dependencies import CurrentContext
from fastmcp.exceptions import ToolError
from fastmcp.server.auth import AuthProvider, RemoteAuthProvider
from fastmcp.server.auth.providers.jwt import JWTVerifier
from fastmcp.tools.base import ToolResult
from mcp.types import ToolAnnotations
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AnyHttpUrl, BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shield import __version__
from shield.config import McpSettings, secret_value
from shield.errors import DependencyUnavailable
from shield.fields import CreateCollection
from shield.jobs.models import JobKind, JobState, JobStatus
from shield.mcp.access import (
    ShieldTokenVerifier,
    may_read_somewhere,
    may_write_somewhere,
    principal_of,
)
from shield.mcp.api import ShieldApi
from shield.mcp.prompts import add_prompts
from shield.mcp.resources import add_resources
from shield.mcp.results import (
    Collections,
    DocumentDeleted,
    DocumentList,
    GraphAnswer,
    JobAccepted,
    JobPage,
    SearchAnswer,
    Stored,
    graph_text,
    passage,
    search_text,
    stored,
    typed,
)
from shield.mcp.subscriptions import add_subscriptions
from shield.mcp.tasks import TASK_OPTIONAL, ShieldTasks
from shield.mcp.unauthorized import INVALID, MISSING
from shield.mcp.waiting import follow, follow_as_task
from shield.metrics import TOOL_CALLS, TOOL_DURATION, TOOL_REJECTIONS
from shield.web.tokens import bearer_token

P = ParamSpec("P")
T = TypeVar("T")

Collection = Annotated[
    str | None, Field(description="Collection to use; the server's default when omitted.")
]
Metadata = Annotated[
    dict[str, Any] | None, Field(description="Your own fields, kept with every chunk.")
]


class StoreText(BaseModel):
    text: str = Field(min_length=1, description="The text to remember.")
    source: str | None = Field(default=None, description="Where it comes from (its identity).")
    metadata: Metadata = None


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


def _decoded_file(file_base64: str, filename: str | None) -> dict[str, tuple[str, bytes]]:
    """The multipart `file` field of an upload given to a tool in base64."""
    if not filename:
        raise ToolError("filename is required with file_base64 (e.g. report.pdf)")
    try:
        data = base64.b64decode(file_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ToolError("file_base64 is not valid base64") from None
    return {"file": (filename, data)}


def _drop_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


ToolRegistrar = Callable[..., Callable[[Callable[..., Any]], None]]


def _reads(title: str) -> ToolAnnotations:
    """Looks, changes nothing: a client may call it without asking."""
    return ToolAnnotations(
        title=title,
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=False,
    )


def _writes(title: str, *, replaces: bool, idempotent: bool, open_world: bool) -> ToolAnnotations:
    """Changes the knowledge base; `replaces`: may overwrite or remove what is there (a document
    of the same source is replaced); `open_world`: reaches the web on the caller's behalf."""
    return ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=replaces,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )


def _job_path(job_id: str) -> str:
    if not job_id.isalnum():
        raise ToolError("job_id is the 32-character id an ingest tool returned")
    return f"/jobs/{job_id}"


CURRENT_CONTEXT = CurrentContext()  # the call's MCP context, for its progress notifications
Wait = Annotated[
    bool,
    Field(
        description="Follow the job until it ends (progress notifications meanwhile, for your "
        "progressToken) and answer it in `job`; default: answer at once with its id. Called as "
        "an MCP task, the task follows the job to its end, and cancelling it cancels the job."
    ),
]


def _add_ingest_tools(tool: ToolRegistrar, shield: ShieldApi, settings: McpSettings) -> None:
    """The tools that queue work (crawls, documents) and follow it: at once, with `wait`, or as
    an MCP task for the clients that ask for one."""

    async def queued(ctx: Context, wait: bool, accepted: Any) -> JobAccepted:
        answer = JobAccepted.model_validate(accepted)
        path = _job_path(answer.job_id)
        if ctx.is_background_task:
            job = await follow_as_task(shield, path, ctx, settings.mcp_task_seconds)
        elif wait:
            job = await follow(shield, path, ctx, settings.mcp_wait_seconds)
        else:
            return answer
        return answer.model_copy(update={"status": job.status.value, "job": job})

    @tool(
        "crawl_web",
        _writes("Crawl a web site", replaces=True, idempotent=False, open_world=True),
        task=True,
    )
    async def crawl_web(
        url: Annotated[str, Field(description="The start page (http or https).")],
        allowed_domains: Annotated[
            list[str] | None,
            Field(
                description="Other origins the crawl may enter, e.g. ['https://docs.example.com']"
                " (scheme, host and port must match; the start page's origin is always allowed)."
            ),
        ] = None,
        max_pages: Annotated[
            int | None, Field(ge=1, le=1000, description="Pages fetched at most (default 50).")
        ] = None,
        max_depth: Annotated[
            int | None,
            Field(ge=0, le=10, description="Links followed from the start page (default 2)."),
        ] = None,
        engine: Annotated[
            Literal["http", "browser"] | None,
            Field(
                description="`browser` renders pages with Chromium first, for sites built by "
                "JavaScript (slower); default: the server's setting, normally `http`."
            ),
        ] = None,
        metadata: Metadata = None,
        collection: Collection = None,
        create_collection: CreateCollection = False,
        wait: Wait = False,
        ctx: Context = CURRENT_CONTEXT,
    ) -> JobAccepted:
        """Crawl a web site into the knowledge base: pages become clean Markdown, chunked,
        embedded and stored; returns the job at once (follow it with get_job_status). Private
        and loopback addresses are refused unless the operator allowlisted them."""
        body = _drop_none(
            kind="crawl",
            url=url,
            allowed_domains=allowed_domains,
            max_pages=max_pages,
            max_depth=max_depth,
            engine=engine,
            metadata=metadata,
            collection=collection,
            create_collection=create_collection or None,
        )
        return await queued(ctx, wait, await shield.call("POST", "/ingest-async", json=body))

    @tool(
        "ingest_doc",
        _writes("Ingest a document", replaces=True, idempotent=True, open_world=True),
        task=True,
    )
    async def ingest_doc(
        text: Annotated[
            str | None, Field(description="The document's text (Markdown welcome).")
        ] = None,
        url: Annotated[
            str | None,
            Field(
                description="Or: an http(s) URL of a document (PDF, DOCX, PPTX, XLSX, HTML, "
                "Markdown, AsciiDoc, text, CSV) for the server to fetch."
            ),
        ] = None,
        path: Annotated[
            str | None,
            Field(description="Or: a file or folder in the server's inbox, relative to it."),
        ] = None,
        file_base64: Annotated[
            str | None,
            Field(description="Or: a file's bytes in base64, with its name in `filename`."),
        ] = None,
        filename: Annotated[
            str | None,
            Field(description="The file's name (its extension says its format); with a file."),
        ] = None,
        source: Annotated[
            str | None, Field(description="The text's name; same name replaces it.")
        ] = None,
        title: Annotated[str | None, Field(description="A title.")] = None,
        metadata: Metadata = None,
        collection: Collection = None,
        create_collection: CreateCollection = False,
        wait: Wait = False,
        ctx: Context = CURRENT_CONTEXT,
    ) -> JobAccepted:
        """Queue a document for converting, chunking, embedding and storing; returns the job at
        once. Give exactly one of text, url, path or file_base64 (with filename)."""
        given = [
            name
            for name, value in (
                ("text", text),
                ("url", url),
                ("path", path),
                ("file_base64", file_base64),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise ToolError(
                "give exactly one of text, url, path or file_base64 (with filename); got "
                + (", ".join(given) or "none of them")
            )
        if file_base64 is not None:
            form = _drop_none(
                collection=collection,
                create_collection="true" if create_collection else None,
                title=title,
                metadata=json.dumps(metadata) if metadata else None,
            )
            uploaded = await shield.call(
                "POST",
                "/ingest-async/upload",
                files=_decoded_file(file_base64, filename),
                data=form,
            )
            return await queued(ctx, wait, uploaded)
        body = _drop_none(
            kind="document",
            text=text,
            url=url,
            path=path,
            source=source,
            title=title,
            metadata=metadata,
            collection=collection,
            create_collection=create_collection or None,
        )
        return await queued(ctx, wait, await shield.call("POST", "/ingest-async", json=body))

    @tool("get_job_status", _reads("A job's status"))
    async def get_job_status(
        job_id: Annotated[str, Field(description="The job_id an ingest tool returned.")],
    ) -> JobState:
        """A job's status, stage, progress and result."""
        return JobState.model_validate(await shield.call("GET", _job_path(job_id)))

    @tool("list_jobs", _reads("List jobs"))
    async def list_jobs(
        status: Annotated[
            list[JobStatus] | None, Field(description="Only jobs in these states.")
        ] = None,
        kind: Annotated[list[JobKind] | None, Field(description="Only of these kinds.")] = None,
        collection: Annotated[
            str | None,
            Field(description="Only this collection's jobs; omitted, every collection's."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Jobs, newest first.")] = 20,
        cursor: Annotated[
            str | None, Field(description="next_cursor of the previous answer, for more.")
        ] = None,
    ) -> JobPage:
        """Jobs newest first, by state, kind and collection; next_cursor pages on."""
        params = _drop_none(
            status=status, kind=kind, collection=collection, limit=limit, cursor=cursor
        )
        return JobPage.model_validate(await shield.call("GET", "/jobs", params=params))

    @tool(
        "cancel_job",
        _writes("Cancel a job", replaces=True, idempotent=True, open_world=False),
    )
    async def cancel_job(
        job_id: Annotated[str, Field(description="The job_id to cancel.")],
    ) -> JobState:
        """Cancel a queued or running job: it stores nothing more (what it stored stays)."""
        return JobState.model_validate(await shield.call("DELETE", _job_path(job_id)))


def build_server(settings: McpSettings, api: ShieldApi | None = None) -> FastMCP:
    shield = api or ShieldApi.from_settings(settings)
    verifier = build_auth(settings, shield)
    mcp = FastMCP(
        "shield",
        version=__version__,  # serverInfo.version: Shield's, not FastMCP's
        instructions="Search and grow a self-hosted knowledge base: find passages with "
        "qdrant_find, add text with qdrant_store or ingest_doc, follow jobs with get_job_status.",
        auth=verifier,
    )
    mcp.add_extension(ShieldTasks(settings.mcp_task_concurrency))

    limiter = CallLimiter(settings.max_concurrent_calls)

    def tool(
        name: str,
        annotations: ToolAnnotations,
        output: type[BaseModel] | None = None,
        task: bool = False,
    ) -> Callable[[Callable[..., Any]], None]:
        """Register a tool unless the server is read-only and the tool writes (a tool that
        writes is listed only to callers who may write somewhere); `output`: the model of a tool
        that answers a ToolResult (its schema is the tool's output schema); `task`: a client
        that speaks MCP tasks may run it as one."""

        def register(fn: Callable[..., Any]) -> None:
            if not annotations.read_only_hint and settings.read_only:
                return
            wrapped = measured(name, limiter)(fn)
            mcp.tool(
                name=name,
                title=annotations.title,
                annotations=annotations,
                auth=may_read_somewhere if annotations.read_only_hint else may_write_somewhere,
                output_schema=... if output is None else output.model_json_schema(),
                task=TASK_OPTIONAL if task else None,
            )(wrapped)

        return register

    @tool("qdrant_find", _reads("Search the knowledge base"), SearchAnswer)
    async def qdrant_find(
        query: Annotated[str, Field(description="What to look for, in plain words.")],
        collection: Collection = None,
        limit: Annotated[
            int, Field(ge=1, le=100, description="Results, best first (documents when grouped).")
        ] = 10,
        mode: Annotated[
            Literal["hybrid", "dense", "lexical"] | None,
            Field(
                description="hybrid (default): meaning and exact words together; dense: meaning "
                "alone; lexical: exact words alone, for codes, names and rare terms."
            ),
        ] = None,
        group_by: Annotated[
            Literal["document"] | None,
            Field(description='"document": only the best passage of each document.'),
        ] = None,
        offset: Annotated[
            int, Field(ge=0, le=10_000, description="Results to skip, for the next page.")
        ] = 0,
        score_threshold: Annotated[
            float | None, Field(ge=0, description="Leave out results scoring below it.")
        ] = None,
        filter: Annotated[
            dict[str, Any] | None,
            Field(description='Conditions that must all hold, e.g. {"metadata.team": "ops"}.'),
        ] = None,
        verbose: Annotated[
            bool,
            Field(
                description="Also each passage's metadata and Shield's own fields (ids, hashes)."
            ),
        ] = False,
    ) -> ToolResult:
        """Search the knowledge base by meaning and by exact words; returns passages with their
        source, title and heading path."""
        body = _drop_none(
            query=query,
            collection=collection,
            limit=limit,
            mode=mode,
            group_by=group_by,
            offset=offset or None,
            score_threshold=score_threshold,
            filter=filter,
        )
        found: dict[str, Any] = await shield.call("POST", "/search", json=body)
        answer = SearchAnswer(
            collection=found["collection"],
            mode=found["mode"],
            results=[passage(hit, verbose) for hit in found["results"]],
        )
        return typed(answer, search_text(answer))

    @tool("qdrant_store", _writes("Store text", replaces=True, idempotent=True, open_world=False))
    async def qdrant_store(
        text: Annotated[str | None, Field(description="The text to remember.")] = None,
        metadata: Metadata = None,
        collection: Collection = None,
        create_collection: CreateCollection = False,
        texts: Annotated[
            list[StoreText] | None,
            Field(
                description="Several texts at once instead of `text`, each with its own source "
                "and metadata (at most 100).",
                max_length=100,
            ),
        ] = None,
    ) -> Stored:
        """Store a piece of text now (or several), so that qdrant_find can find it."""
        items = [item.model_dump(exclude_none=True) for item in texts] if texts else None
        body = _drop_none(
            text=text,
            metadata=metadata,
            collection=collection,
            create_collection=create_collection or None,
            texts=items,
        )
        return stored(await shield.call("POST", "/store", json=body))

    _add_ingest_tools(tool, shield, settings)

    @tool("lightrag_query", _reads("Ask the knowledge graph"), GraphAnswer)
    async def lightrag_query(
        query: Annotated[str, Field(description="A question, in plain words.")],
        mode: Annotated[
            Literal["naive", "local", "global", "hybrid", "mix"],
            Field(
                description="naive: passages only; local: entities near the question; global: "
                "relations across the knowledge graph; hybrid: both; mix: graph and passages."
            ),
        ] = "hybrid",
        collection: Collection = None,
    ) -> ToolResult:
        """Ask the knowledge graph. The answer says whether an LLM wrote it or it is the
        retrieved context (entities, relations, passages) for you to reason over."""
        body = _drop_none(query=query, mode=mode, collection=collection)
        answer = GraphAnswer.model_validate(await shield.call("POST", "/lightrag/query", json=body))
        return typed(answer, graph_text(answer))

    @tool("list_documents", _reads("List documents"))
    async def list_documents(
        collection: Collection = None,
        limit: Annotated[
            int, Field(ge=1, le=1000, description="Documents in this page, by source.")
        ] = 50,
        offset: Annotated[
            int, Field(ge=0, le=10_000, description="next_offset of the previous page.")
        ] = 0,
    ) -> DocumentList:
        """The documents in a collection, with their sources, chunk counts and graph state, a
        page at a time (total says how many there are)."""
        params = _drop_none(collection=collection, limit=limit, offset=offset or None)
        return DocumentList.model_validate(await shield.call("GET", "/documents", params=params))

    @tool(
        "delete_document",
        _writes("Delete a document", replaces=True, idempotent=True, open_world=False),
    )
    async def delete_document(
        document_id: Annotated[str, Field(description="The document_id to delete.")],
        collection: Collection = None,
    ) -> DocumentDeleted:
        """Delete a document and all its chunks."""
        params = _drop_none(collection=collection)
        return DocumentDeleted.model_validate(
            await shield.call("DELETE", f"/documents/{document_id}", params=params)
        )

    @tool("list_collections", _reads("List collections"))
    async def list_collections() -> Collections:
        """Collections with their size and embedding model."""
        return Collections.model_validate(await shield.call("GET", "/collections"))

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
