"""What flows through the ingest pipeline."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from shield.documents.identity import content_hash


class SourceDocument(BaseModel):
    """A document read from a source: inline text (Markdown), or a file Docling converts."""

    source: str
    text: str | None = None
    data: bytes | None = None
    filename: str = ""
    format: str = ""  # a file's confirmed format (see shield.documents.formats)
    title: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    source_id: str | None = None  # the source that keeps it in sync, if one does

    @property
    def content_hash(self) -> str:
        """Of the text, or of the file's bytes: an unchanged file is never converted again."""
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        return content_hash(self.text or "")


class ChunkIn(BaseModel):
    """One embedded chunk as the worker sends it to shield-api."""

    text: str
    vector: list[float]
    headings: list[str] = Field(default_factory=list)  # the path of headings above it
    pages: list[int] = Field(default_factory=list)  # the pages it comes from, when known


class DocumentWrite(BaseModel):
    """A whole document's chunks; shield-api replaces the document with them in one step."""

    source: str
    title: str = ""
    content_hash: str
    embedding_model: str
    job_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    source_id: str | None = Field(
        default=None, description="The source that keeps it in sync (`/sources`), if one does."
    )
    chunks: list[ChunkIn]


class DocumentSummary(BaseModel):
    document_id: str
    source: str
    title: str = ""
    chunks: int
    content_hash: str
    ingested_at: str
    collection: str
    job_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    source_id: str | None = Field(
        default=None, description="The source that keeps it in sync (`/sources`), if one does."
    )
    graph: Literal["pending", "stored", "failed"] | None = Field(
        default=None,
        description="Where the knowledge graph stands with this document: `pending` (searchable "
        "already, waiting for the graph), `stored` or `failed` (see `graph_error`); none "
        "without a graph, or for a document stored before its state was kept.",
    )
    graph_error: str | None = Field(
        default=None, description="Why the graph failed it last (also while it is retried)."
    )


class StoredPassage(BaseModel):
    """A passage as the vector store keeps it (a point's payload): written by the document
    index, read back by it and by the search route. Fields a passage stored by an earlier
    release may lack have defaults."""

    text: str = ""
    document_id: str
    source: str
    title: str = ""
    chunk_index: int = 0
    chunk_count: int = 0
    content_hash: str = ""
    ingested_at: str = ""
    job_id: str | None = None
    collection: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    source_id: str | None = None
    headings: list[str] = Field(default_factory=list)
    pages: list[int] = Field(default_factory=list)

    @field_validator("metadata", mode="before")
    @classmethod
    def _no_metadata(cls, value: Any) -> Any:
        return value or {}

    def payload(self) -> dict[str, Any]:
        """What the store keeps: headings and pages only where there are some."""
        empty = {n for n in ("headings", "pages", "source_id") if not getattr(self, n)}
        return self.model_dump(exclude=empty)
