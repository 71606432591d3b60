"""What a job is asked to do: one typed model per kind of request, on both sides of the queue.

shield-api validates a request when it arrives and stores it as JSON beside the job's state; the
worker reads it back through `parse_job_request`, so both work with the same models and every
default (a crawl's page and depth limits) is written once, here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from shield.documents.inbox import check_relative_path
from shield.errors import InvalidInput
from shield.fields import CollectionName, CreateCollection, check_metadata
from shield.net.egress import EgressPolicy, EgressRefused

CRAWL_MAX_PAGES = 50
CRAWL_MAX_PAGES_LIMIT = 1000
CRAWL_MAX_DEPTH = 2
CRAWL_MAX_DEPTH_LIMIT = 10
CRAWL_MAX_ALLOWED_DOMAINS = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def fetchable(value: str) -> str:
    try:  # addresses are checked by the worker, which knows the allowlist
        EgressPolicy().check_url(value, addresses=False)
    except EgressRefused as exc:
        raise ValueError(exc.message) from None
    return value


class DocumentIngest(_Strict):
    """A document to ingest: inline text, a URL to fetch, or a path in the worker's inbox.
    Exactly one of `text`, `url` and `path`."""

    kind: Literal["document"]
    text: str | None = Field(
        default=None, min_length=1, description="The document's text (Markdown welcome)."
    )
    url: str | None = Field(
        default=None,
        max_length=4096,
        description="An http(s) URL of a document (PDF, DOCX, PPTX, XLSX, HTML, Markdown, ...). "
        "Private and loopback addresses are refused unless allowlisted.",
    )
    path: str | None = Field(
        default=None,
        max_length=1024,
        description="A file or folder inside the workers' inbox (SHIELD_INBOX_DIR), relative "
        "to it; a folder ingests every supported file in it.",
    )
    source: str | None = Field(
        default=None,
        max_length=2048,
        description="The identity of inline text: same source + collection = same document. "
        "Default: derived from the text. URLs and inbox files are their own identity.",
    )
    title: str | None = Field(default=None, max_length=512)
    metadata: dict[str, Any] | None = Field(default=None, description="Kept with every chunk.")
    collection: CollectionName | None = None
    create_collection: CreateCollection = False

    _metadata = field_validator("metadata")(check_metadata)

    @field_validator("url")
    @classmethod
    def _url_fetchable(cls, value: str | None) -> str | None:
        return None if value is None else fetchable(value)

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        return None if value is None else check_relative_path(value)

    @model_validator(mode="after")
    def _one_source(self) -> DocumentIngest:
        given = [name for name in ("text", "url", "path") if getattr(self, name) is not None]
        if len(given) != 1:
            shown = ", ".join(given) or "none of them"
            raise ValueError(f"give exactly one of text, url or path (got {shown})")
        if self.source is not None and self.text is None:
            raise ValueError("source names inline text; a URL or inbox path is its own source")
        return self


class CrawlIngest(_Strict):
    """A web crawl: pages are fetched breadth first from `url`, turned into Markdown and stored
    like documents (a page's source is its canonical URL)."""

    kind: Literal["crawl"]
    url: str = Field(max_length=4096, description="The start page (http or https).")
    allowed_domains: list[Annotated[str, Field(min_length=1, max_length=300)]] | None = Field(
        default=None,
        max_length=CRAWL_MAX_ALLOWED_DOMAINS,
        description="Origins the crawl may follow links into, besides the start page's: "
        "`https://docs.example.com` or `docs.example.com:8080` (scheme, host and port must "
        "all match; a bare host takes the start page's scheme).",
    )
    max_pages: int = Field(
        default=CRAWL_MAX_PAGES,
        ge=1,
        le=CRAWL_MAX_PAGES_LIMIT,
        description="Pages fetched at most.",
    )
    max_depth: int = Field(
        default=CRAWL_MAX_DEPTH,
        ge=0,
        le=CRAWL_MAX_DEPTH_LIMIT,
        description="Links followed from the start page, at most.",
    )
    engine: Literal["http", "browser"] | None = Field(
        default=None,
        description="`http` reads pages as served; `browser` renders them with Chromium first "
        "(for sites built by JavaScript; slower). Default: the workers' SHIELD_CRAWL_ENGINE.",
    )
    metadata: dict[str, Any] | None = Field(default=None, description="Kept with every chunk.")
    collection: CollectionName | None = None
    create_collection: CreateCollection = False

    _metadata = field_validator("metadata")(check_metadata)
    _url_fetchable = field_validator("url")(fetchable)


class UploadedFile(BaseModel):
    """An uploaded file as shield-api checked it; its bytes are stored beside the job."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    format: str
    bytes: int = Field(ge=0)


class UploadIngest(_Strict):
    """A file uploaded to `POST /ingest-async/upload` (never sent as JSON by callers)."""

    kind: Literal["document"] = "document"
    upload: UploadedFile
    source: str | None = Field(
        default=None, max_length=1024, description="Its identity; default: the file's name."
    )
    title: str | None = Field(default=None, max_length=512)
    metadata: dict[str, Any] = Field(default_factory=dict)

    _metadata = field_validator("metadata")(check_metadata)


class SourceSync(_Strict):
    """A sync of a source (`POST /sources/{source_id}/sync`, or its schedule): the source's
    record says what to read; the request only which source."""

    kind: Literal["sync"] = "sync"
    source_id: str = Field(min_length=1, max_length=64)
    scheduled: bool = Field(default=False, description="Started by its schedule.")
    force: bool = Field(
        default=False,
        description="Remove what is gone even past the share one sync may remove at once "
        "(SHIELD_SOURCE_MAX_REMOVE_SHARE).",
    )


# The two public kinds: what `POST /ingest-async` takes.
IngestRequest = Annotated[DocumentIngest | CrawlIngest, Field(discriminator="kind")]


def _stored_kind(value: Any) -> str:
    """Which model a stored request is: an upload is a `document` that names its file."""
    if isinstance(value, dict):
        kind = str(value.get("kind"))
        return "upload" if kind == "document" and "upload" in value else kind
    return "upload" if isinstance(value, UploadIngest) else str(getattr(value, "kind", ""))


JobRequest = Annotated[
    Annotated[DocumentIngest, Tag("document")]
    | Annotated[UploadIngest, Tag("upload")]
    | Annotated[CrawlIngest, Tag("crawl")]
    | Annotated[SourceSync, Tag("sync")],
    Discriminator(_stored_kind),
]
_JOB_REQUEST: TypeAdapter[JobRequest] = TypeAdapter(JobRequest)


Queued = DocumentIngest | UploadIngest | CrawlIngest | SourceSync


def parse_job_request(raw: dict[str, Any]) -> Queued:
    """A stored request, validated once where the worker reads it."""
    try:
        return _JOB_REQUEST.validate_python(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(
            f"the job's request is not one this worker can run: {problems}"
        ) from None


def request_summary(request: Queued) -> dict[str, Any]:
    """What a job's state shows of its request: everything but bulky content, which is sized."""
    summary = request.model_dump(
        mode="json", exclude_none=True, exclude={"text", "create_collection"}
    )
    if isinstance(request, DocumentIngest) and request.text is not None:
        summary["text_chars"] = len(request.text)
    return summary
