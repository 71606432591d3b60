"""What flows through the ingest pipeline."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SourceDocument(BaseModel):
    """A document read from a source (inline text today; files and pages plug in here)."""

    source: str
    text: str
    title: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class ChunkIn(BaseModel):
    """One embedded chunk as the worker sends it to shield-api."""

    text: str
    vector: list[float]


class DocumentWrite(BaseModel):
    """A whole document's chunks; shield-api replaces the document with them in one step."""

    source: str
    title: str = ""
    content_hash: str
    embedding_model: str
    job_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
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
