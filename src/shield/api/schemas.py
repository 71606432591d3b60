"""Request and response bodies of the public API."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shield.config import COLLECTION_NAME_PATTERN
from shield.documents.inbox import check_relative_path
from shield.net.egress import EgressPolicy, EgressRefused

MAX_METADATA_BYTES = 16_384
MAX_METADATA_KEYS = 64
_METADATA_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

CollectionName = Annotated[
    str,
    Field(
        pattern=COLLECTION_NAME_PATTERN,
        description="Collection to use (letters, digits, - and _; default from configuration).",
    ),
]


def check_metadata(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"at most {MAX_METADATA_KEYS} metadata keys")
    for key in value:
        if not _METADATA_KEY.match(key):
            raise ValueError(f"metadata key {key!r} must match {_METADATA_KEY.pattern}")
    if len(json.dumps(value)) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata must be at most {MAX_METADATA_BYTES} bytes as JSON")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


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

    _metadata = field_validator("metadata")(check_metadata)

    @field_validator("url")
    @classmethod
    def _fetchable(cls, value: str | None) -> str | None:
        if value is not None:
            try:  # addresses are checked by the worker, which knows the allowlist
                EgressPolicy().check_url(value, addresses=False)
            except EgressRefused as exc:
                raise ValueError(exc.message) from None
        return value

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
        max_length=50,
        description="Origins the crawl may follow links into, besides the start page's: "
        "`https://docs.example.com` or `docs.example.com:8080` (scheme, host and port must "
        "all match; a bare host takes the start page's scheme).",
    )
    max_pages: int = Field(default=50, ge=1, le=1000, description="Pages fetched at most.")
    max_depth: int = Field(
        default=2, ge=0, le=10, description="Links followed from the start page, at most."
    )
    engine: Literal["http", "browser"] | None = Field(
        default=None,
        description="`http` reads pages as served; `browser` renders them with Chromium first "
        "(for sites built by JavaScript; slower). Default: the workers' SHIELD_CRAWL_ENGINE.",
    )
    metadata: dict[str, Any] | None = Field(default=None, description="Kept with every chunk.")
    collection: CollectionName | None = None

    _metadata = field_validator("metadata")(check_metadata)

    @field_validator("url")
    @classmethod
    def _fetchable(cls, value: str) -> str:
        try:
            EgressPolicy().check_url(value, addresses=False)
        except EgressRefused as exc:
            raise ValueError(exc.message) from None
        return value


IngestRequest = Annotated[DocumentIngest | CrawlIngest, Field(discriminator="kind")]


class GraphQuery(_Strict):
    query: str = Field(min_length=1, max_length=4096, description="A question, in plain words.")
    mode: Literal["naive", "local", "global", "hybrid", "mix"] = Field(
        default="hybrid",
        description="naive: chunks only; local: entities near the question; global: relations "
        "across the graph; hybrid: both; mix: graph and chunks.",
    )
    collection: CollectionName | None = None
    top_k: int = Field(default=20, ge=1, le=200, description="Entities or relations retrieved.")


class JobAccepted(BaseModel):
    job_id: str
    status: str
    status_url: str
    events_url: str


class SearchRequest(_Strict):
    query: str = Field(min_length=1, max_length=4096)
    collection: CollectionName | None = None
    limit: int = Field(default=10, ge=1, le=100)
    filter: dict[str, Any] | None = Field(
        default=None,
        description='Conditions that must all hold, e.g. {"source": "a.md", '
        '"metadata.team": ["red", "blue"]}.',
    )


class SearchHit(BaseModel):
    id: str
    score: float
    text: str
    document_id: str
    source: str
    metadata: dict[str, Any]


class SearchResponse(BaseModel):
    results: list[SearchHit]


class StoreRequest(_Strict):
    text: str = Field(min_length=1)
    metadata: dict[str, Any] | None = None
    source: str | None = Field(default=None, max_length=2048)
    collection: CollectionName | None = None

    _metadata = field_validator("metadata")(check_metadata)


class StoreResponse(BaseModel):
    id: str
    document_id: str
    source: str
    collection: str
    chunks: int
