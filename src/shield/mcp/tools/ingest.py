"""The tools that queue work, crawls and documents, and follow it: at once, with `wait`, or as
an MCP task for the clients that ask for one (`crawl_web`, `ingest_doc`)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Literal

from fastmcp import Context
from fastmcp.exceptions import ToolError
from pydantic import Field

from shield import apiclient, schemas
from shield.config import McpSettings
from shield.fields import CreateCollection
from shield.jobs.requests import (
    CRAWL_MAX_DEPTH,
    CRAWL_MAX_DEPTH_LIMIT,
    CRAWL_MAX_PAGES,
    CRAWL_MAX_PAGES_LIMIT,
    CrawlIngest,
    DocumentIngest,
)
from shield.mcp.api import ShieldApi, request
from shield.mcp.results import JobAccepted
from shield.mcp.tools.common import (
    CURRENT_CONTEXT,
    SETTINGS,
    SHIELD,
    Collection,
    Metadata,
    Tool,
    drop_none,
    writes,
)
from shield.mcp.waiting import follow, follow_as_task

Wait = Annotated[
    bool,
    Field(
        description="Follow the job until it ends (progress notifications meanwhile, for your "
        "progressToken) and answer it in `job`; default: answer at once with its id. Called as "
        "an MCP task, the task follows the job to its end, and cancelling it cancels the job."
    ),
]


async def queued(
    shield: ShieldApi,
    settings: McpSettings,
    ctx: Context,
    wait: bool,
    call: apiclient.Call[schemas.JobAccepted],
) -> JobAccepted:
    """The job shield-api accepted for the call, followed to its end when the caller asked (or
    as a task)."""
    answer = JobAccepted.model_validate((await shield.send(call)).model_dump())
    if ctx.is_background_task:
        job = await follow_as_task(shield, answer.job_id, ctx, settings.mcp_task_seconds)
    elif wait:
        job = await follow(shield, answer.job_id, ctx, settings.mcp_wait_seconds)
    else:
        return answer
    return answer.model_copy(update={"status": job.status.value, "job": job})


def decoded_file(file_base64: str, filename: str | None) -> tuple[str, bytes]:
    """A file given to a tool in base64: its name and its bytes."""
    if not filename:
        raise ToolError("filename is required with file_base64 (e.g. report.pdf)")
    try:
        data = base64.b64decode(file_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ToolError("file_base64 is not valid base64") from None
    return filename, data


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
        int | None,
        Field(
            ge=1,
            le=CRAWL_MAX_PAGES_LIMIT,
            description=f"Pages fetched at most (default {CRAWL_MAX_PAGES}).",
        ),
    ] = None,
    max_depth: Annotated[
        int | None,
        Field(
            ge=0,
            le=CRAWL_MAX_DEPTH_LIMIT,
            description=f"Links followed from the start page (default {CRAWL_MAX_DEPTH}).",
        ),
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
    shield: ShieldApi = SHIELD,
    settings: McpSettings = SETTINGS,
) -> JobAccepted:
    """Crawl a web site into the knowledge base: pages become clean Markdown, chunked,
    embedded and stored; returns the job at once (follow it with get_job_status). Private
    and loopback addresses are refused unless the operator allowlisted them."""
    body = request(
        CrawlIngest,
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
    return await queued(shield, settings, ctx, wait, apiclient.ingest(body))


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
    shield: ShieldApi = SHIELD,
    settings: McpSettings = SETTINGS,
) -> JobAccepted:
    """Queue a document for converting, chunking, embedding and storing; returns the job at
    once. Give exactly one of text, url, path or file_base64 (with filename)."""
    sources = (("text", text), ("url", url), ("path", path), ("file_base64", file_base64))
    given = [name for name, value in sources if value is not None]
    if len(given) != 1:
        raise ToolError(
            "give exactly one of text, url, path or file_base64 (with filename); got "
            + (", ".join(given) or "none of them")
        )
    if file_base64 is not None:
        form = drop_none(
            collection=collection,
            create_collection="true" if create_collection else None,
            title=title,
            metadata=json.dumps(metadata) if metadata else None,
        )
        name, data = decoded_file(file_base64, filename)
        call = apiclient.ingest_upload(name, data, form)
        return await queued(shield, settings, ctx, wait, call)
    body = request(
        DocumentIngest,
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
    return await queued(shield, settings, ctx, wait, apiclient.ingest(body))


TOOLS = (
    Tool(
        crawl_web,
        "crawl_web",
        writes("Crawl a web site", replaces=True, idempotent=False, open_world=True),
        task=True,
    ),
    Tool(
        ingest_doc,
        "ingest_doc",
        writes("Ingest a document", replaces=True, idempotent=True, open_world=True),
        task=True,
    ),
)
