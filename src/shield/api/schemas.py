"""Request and response bodies of the public API. The ingest requests are the jobs' own models
(`shield.jobs.requests`): the worker reads them back with the same types."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shield.fields import CollectionName, check_metadata


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


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
