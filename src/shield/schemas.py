"""Request and answer bodies of shield-api: what the routes take and answer, and what its clients
(the `shield` command, shield-mcp, the workers, through `shield.apiclient`) send and read back.
The ingest requests are the jobs' own models (`shield.jobs.requests`); the limits are here once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shield.documents.models import DocumentSummary
from shield.fields import (
    DEFAULT_FUSION,
    CollectionName,
    CreateCollection,
    Fusion,
    SearchMode,
    check_metadata,
)
from shield.jobs.models import JobKind, JobState

#: Results one search answers at most.
MAX_SEARCH_LIMIT = 100
#: Results a search may skip.
MAX_OFFSET = 10_000
#: Documents one page of `GET /documents` holds unless the caller asks for another size.
DOCUMENTS_PAGE = 1000
#: Documents a page may hold, and skip.
MAX_DOCUMENTS_LISTED = 10_000
#: Passages a graph answer holds by default, and its size (characters of JSON) at most.
GRAPH_PASSAGES = 10
GRAPH_MAX_CHARS = 8000
#: Jobs one page of `GET /jobs` holds at most.
MAX_JOBS_LISTED = 500
#: Texts one /store call may carry.
MAX_STORE_BATCH = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class GraphQuery(_Strict):
    query: str = Field(min_length=1, max_length=4096, description="A question, in plain words.")
    mode: Literal["naive", "local", "global", "hybrid", "mix", "hops"] = Field(
        default="hybrid",
        description="naive: chunks only; local: entities near the question; global: relations "
        "across the graph; hybrid: both; mix: graph and chunks; hops: from the entities the "
        "question names along their relations, one and two hops (mix if it names none).",
    )
    collection: CollectionName | None = None
    top_k: int = Field(default=20, ge=1, le=200, description="Entities or relations retrieved.")
    limit: int = Field(
        default=GRAPH_PASSAGES, ge=1, le=50, description="Passages in the answer, at most."
    )
    max_chars: int = Field(
        default=GRAPH_MAX_CHARS,
        ge=1000,
        le=200_000,
        description="The answer's size in characters (as JSON), at most: the least supported "
        "relations, entities, then passages are left out to keep within it.",
    )


class GraphRelation(_Strict):
    source: str = Field(min_length=1, max_length=512, description="One entity's name.")
    target: str = Field(min_length=1, max_length=512, description="The other's (either order).")
    collection: CollectionName | None = None
    limit: int = Field(default=10, ge=1, le=100, description="Passages at most.")


class JobList(BaseModel):
    jobs: list[JobState]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null once every job kept was listed."
    )


class CancelJobs(_Strict):
    """Which unfinished jobs to cancel; every filter given must match."""

    status: list[Literal["queued", "running"]] = Field(
        default=["queued", "running"],
        min_length=1,
        description="Only jobs in these states (finished jobs cannot be cancelled).",
    )
    kind: list[JobKind] | None = Field(default=None, description="Only jobs of these kinds.")
    collection: CollectionName | None = Field(default=None, description="Only this collection's.")


class JobsCancelled(BaseModel):
    cancelled: list[str] = Field(description="The ids of the jobs cancelled by this call.")


class JobAccepted(BaseModel):
    job_id: str
    status: str
    status_url: str
    events_url: str


class SearchRequest(_Strict):
    query: str = Field(min_length=1, max_length=4096)
    collection: CollectionName | None = None
    mode: SearchMode | None = Field(
        default=None,
        description="hybrid: the lexical (BM25) and the dense ranking, fused; dense: the "
        "embedding model's alone; lexical: BM25's alone (exact words, codes, names). Default: "
        "hybrid, or dense for a collection built before the lexical index until it is reindexed.",
    )
    limit: int = Field(
        default=10, ge=1, le=MAX_SEARCH_LIMIT, description="Results (documents when grouped)."
    )
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Results skipped first.")
    score_threshold: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="Leave out results scoring below it: a cosine similarity (at most 1) in "
        "dense mode, a fused score (at most 2) in hybrid mode, a BM25 score in lexical mode.",
    )
    group_by: Literal["document"] | None = Field(
        default=None, description='"document": the best passage of each document.'
    )
    filter: dict[str, Any] | None = Field(
        default=None,
        description='Conditions that must all hold, e.g. {"source": "a.md", '
        '"metadata.team": ["red", "blue"]}.',
    )

    @model_validator(mode="after")
    def _threshold_in_range(self) -> SearchRequest:
        mode = self.mode or SearchMode.HYBRID
        highest = {SearchMode.DENSE: 1.0, SearchMode.HYBRID: 2.0}.get(mode)
        if self.score_threshold is not None and highest and self.score_threshold > highest:
            raise ValueError(
                f"score_threshold {self.score_threshold} is out of range: a {mode} score is at "
                f"most {highest:g}"
            )
        return self


class CollectionCreate(_Strict):
    name: CollectionName
    fusion: Fusion = Field(
        default=DEFAULT_FUSION,
        description="How hybrid searches fuse the lexical and the dense ranking: dbsf "
        "(scores normalised by their spread, then summed; measured best) or rrf (ranks only).",
    )


class SearchHit(BaseModel):
    id: str
    score: float
    text: str
    document_id: str
    source: str
    title: str = Field(description="The document's title, where it has one.")
    headings: list[str] = Field(description="The passage's heading path, outermost first.")
    metadata: dict[str, Any]


class SearchResponse(BaseModel):
    collection: str = Field(description="The collection searched.")
    mode: SearchMode = Field(description="The mode that ran.")
    results: list[SearchHit]


class StoreItem(_Strict):
    text: str = Field(min_length=1)
    metadata: dict[str, Any] | None = None
    source: str | None = Field(default=None, max_length=2048)

    _metadata = field_validator("metadata")(check_metadata)


class StoreRequest(_Strict):
    """One text (`text`, `source`, `metadata`), or several in `texts`."""

    text: str | None = Field(default=None, min_length=1)
    metadata: dict[str, Any] | None = None
    source: str | None = Field(default=None, max_length=2048)
    texts: list[StoreItem] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_STORE_BATCH,
        description=f"Several texts, each its own document (at most {MAX_STORE_BATCH}).",
    )
    collection: CollectionName | None = None
    create_collection: CreateCollection = False

    _metadata = field_validator("metadata")(check_metadata)

    @model_validator(mode="after")
    def _one_or_several(self) -> StoreRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give either text (one) or texts (several), not both")
        if self.texts is not None and (self.source is not None or self.metadata is not None):
            raise ValueError("with texts, give each text its own source and metadata")
        return self

    def items(self) -> list[StoreItem]:
        if self.texts is not None:
            return self.texts
        assert self.text is not None
        return [StoreItem(text=self.text, metadata=self.metadata, source=self.source)]


class StoreResponse(BaseModel):
    id: str
    document_id: str
    source: str
    collection: str
    chunks: int


class StoreBatchResponse(BaseModel):
    collection: str
    documents: list[StoreResponse]


MAX_TOKEN_SECONDS = 10 * 366 * 24 * 3600  # ten years: a token is meant to be rotated


class TokenCreate(_Strict):
    """A named token and what it may do (docs/SECURITY.md)."""

    name: str = Field(description="Unique, lower case: `ops-bot`, `alice.laptop`.")
    scopes: list[str] = Field(
        min_length=1,
        max_length=100,
        description="`read:<collection>`, `write:<collection>` (a name or `*`), `admin`.",
    )
    expires_in: int | None = Field(
        default=None,
        ge=60,
        le=MAX_TOKEN_SECONDS,
        description="Seconds until it stops working; default: until revoked.",
    )


class TokenProvision(_Strict):
    """A token whose secret the operator chose (from a vault), set or replaced by name."""

    token: str = Field(min_length=16, max_length=512, description="The secret itself.")
    scopes: list[str] = Field(min_length=1, max_length=100)
    expires_in: int | None = Field(default=None, ge=60, le=MAX_TOKEN_SECONDS)


class TokenInfo(BaseModel):
    name: str
    scopes: list[str]
    created_at: str
    expires_at: str | None = Field(
        default=None, description="When it stops working; null: until revoked."
    )
    expired: bool


class TokenCreated(TokenInfo):
    token: str = Field(description="The secret: shown this once, never stored.")


class TokenList(BaseModel):
    tokens: list[TokenInfo]


class WhoAmI(BaseModel):
    name: str = Field(description="The token's name, `service` for SHIELD_API_TOKEN.")
    kind: str = Field(description="`token`, `jwt`, `service` or `local`.")
    scopes: list[str]


class CollectionInfo(BaseModel):
    name: str
    points: int = Field(description="Passages stored.")
    embedding_model: str
    dimension: int
    lexical: bool = Field(description="Whether hybrid and lexical searches work (else: reindex).")
    fusion: Fusion


class CollectionList(BaseModel):
    collections: list[CollectionInfo]


class CollectionDeleted(BaseModel):
    deleted: str = Field(description="The collection's name.")
    documents: int = Field(description="Documents deleted with it.")
    graph: str = Field(description="What becomes of their part of the knowledge graph.")


class DocumentPage(BaseModel):
    collection: str
    documents: list[DocumentSummary]
    total: int = Field(description="Documents in the collection, in every page.")
    next_offset: int | None = Field(
        default=None, description="The offset of the next page; null on the last."
    )


class DocumentText(BaseModel):
    document_id: str
    collection: str
    source: str
    title: str
    chunks: int = Field(description="Passages it is stored as.")
    text: str = Field(description="The whole text, put back together from its passages.")
    passages: list[str] | None = Field(
        default=None, description="With passages: each passage as stored, in order."
    )


class DocumentDeleted(BaseModel):
    deleted: str = Field(description="The document's id.")
    collection: str
    chunks: int = Field(description="Passages deleted.")
    graph: str = Field(description="What becomes of its part of the knowledge graph.")


class CitedDocument(BaseModel):
    """A document something in a graph answer comes from."""

    document_id: str
    source: str = Field(description="Where it came from: a URL, a file, a name.")
    title: str = ""


class GraphPassage(BaseModel):
    chunk_id: str
    document_id: str | None = Field(
        default=None, description="The document the passage belongs to."
    )
    source: str = ""
    title: str = ""
    content: str
    path: list[list[str]] = Field(
        default_factory=list,
        description="In hops mode: the relations (pairs of entities) that led to it.",
    )


class GraphAnswer(BaseModel):
    """What the knowledge graph answers: its passages, and the entities and relations near the
    question, each naming the documents it comes from."""

    model_config = ConfigDict(extra="allow")

    mode: str = Field(description="The graph query mode that ran.")
    llm_generated: bool = Field(
        description="Whether an LLM wrote `answer`; otherwise it is the retrieved context."
    )
    answer: str
    entities: list[dict[str, Any]] = Field(
        description="Entities the graph found near the query: `entity_name`, `entity_type`, "
        "`description`, `documents` (each with `document_id`, `source`, `title`)."
    )
    relations: list[dict[str, Any]] = Field(
        description="Relations between them: `src_id`, `tgt_id`, `keywords`, `description`, "
        "`documents`."
    )
    chunks: list[GraphPassage] = Field(description="Passages the graph retrieved, best first.")
    truncated: bool = Field(
        default=False, description="Whether parts were left out to keep within max_chars."
    )
    overview: bool = Field(
        default=False,
        description="global mode only: no relation matched the question's themes, and these "
        "are the relations among the graph's most connected entities instead.",
    )


class GraphRelationAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")

    source: str
    target: str
    keywords: str
    description: str
    passages: list[dict[str, Any]] = Field(description="The chunks it was extracted from.")
