"""The one client of shield-api: a typed function per route, run by a blocking client (the
`shield` command, the workers) or an async one (shield-mcp).

A route's function says everything about the call (method, path, query, body) and what it
answers (`Call[Answer]`); the bodies and answers are `shield.schemas`' models, the same ones
shield-api declares, so a client reads fields rather than keys and the limits are written once.
Both clients send a call through the service client (`shield.net.service_client`): a
5xx, 429, timeout or connection failure is `DependencyUnavailable`; any other 4xx is
`ApiRefused`, with shield-api's own message; a 2xx is the call's answer, validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import IO, Any, ClassVar, Generic, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from shield.config import ApiClientMixin
from shield.documents.models import DocumentSummary, DocumentWrite
from shield.errors import InvalidInput, ShieldError, error_message
from shield.jobs.models import JobKind, JobState, JobStatus
from shield.jobs.requests import CrawlIngest, DocumentIngest
from shield.net.service_client import (
    AsyncServiceClient,
    ServiceClient,
    api_breaker,
    api_endpoint,
)
from shield.schemas import (
    CancelJobs,
    CollectionCreate,
    CollectionDeleted,
    CollectionInfo,
    CollectionList,
    DocumentDeleted,
    DocumentPage,
    DocumentText,
    GraphAnswer,
    GraphQuery,
    GraphRelation,
    GraphRelationAnswer,
    JobAccepted,
    JobList,
    JobsCancelled,
    SearchRequest,
    SearchResponse,
    StoreBatchResponse,
    StoreRequest,
    StoreResponse,
    TokenCreate,
    TokenCreated,
    TokenList,
    WhoAmI,
)
from shield.sources.models import (
    Source,
    SourceCreate,
    SourceDeleted,
    SourceList,
    SourceUpdate,
    SyncRequest,
)

Answer = TypeVar("Answer")
Model = TypeVar("Model", bound=BaseModel)


class ApiRefused(ShieldError):
    """shield-api answered 4xx (not 429): `status`, and its own message."""

    code = "api_refused"

    def __init__(self, call: Call[Any], status: int, message: str) -> None:
        super().__init__(message, status=status)
        self.call = call
        self.status = status

    def __str__(self) -> str:
        return f"{self.call.method} {self.call.path}: {self.status} {self.message}"


@dataclass(frozen=True)
class Call(Generic[Answer]):
    """One request to shield-api and the type of its answer."""

    method: str
    path: str
    answer: TypeAdapter[Answer]
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    # A form and its files (multipart), or a body streamed as it is (`content`).
    form: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes | IO[bytes]]] | None = None
    content: Any = None

    def send_kwargs(self) -> dict[str, Any]:
        """httpx's arguments for the request."""
        kwargs = {
            "params": self.params or None, "json": self.json, "data": self.form,
            "files": self.files, "content": self.content,
        }  # fmt: skip
        return {name: value for name, value in kwargs.items() if value is not None}

    def read(self, response: httpx.Response) -> Answer:
        return self.answer.validate_json(response.content)


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    """Each answer type's validator, built once."""
    return TypeAdapter(kind)


def _call(method: str, path: str, answer: Any, json: Any = None, **params: Any) -> Call[Any]:
    kept = {name: value for name, value in params.items() if value not in (None, [], ())}
    return Call(method, path, _adapter(answer), kept, json)


def _body(request: BaseModel) -> Any:
    """What the caller set, as JSON: the server applies its own defaults to the rest."""
    return request.model_dump(mode="json", exclude_unset=True)


def request(model: type[Model], **fields: Any) -> Model:
    """A request body checked before it is sent; an `InvalidInput` naming each field, in the
    words shield-api would have answered with, if it is not one."""
    given = {name: value for name, value in fields.items() if value is not None}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise InvalidInput(problems) from None


def _segment(value: str) -> str:
    """A name or an id as one segment of a path: `../tokens` stays a (wrong) name."""
    return quote(value, safe="")


def _problem(error: ErrorDetails) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {message}" if where else message


# The routes, by area, in the order of the API reference.


def search(body: SearchRequest) -> Call[SearchResponse]:
    return _call("POST", "/search", SearchResponse, _body(body))


def store(body: StoreRequest) -> Call[StoreResponse | StoreBatchResponse]:
    return _call("POST", "/store", StoreResponse | StoreBatchResponse, _body(body))


def ingest(body: DocumentIngest | CrawlIngest) -> Call[JobAccepted]:
    return _call("POST", "/ingest-async", JobAccepted, _body(body))


def ingest_upload(
    filename: str, data: bytes | IO[bytes], form: dict[str, str | None]
) -> Call[JobAccepted]:
    """A file (its bytes, or a stream of them) as a multipart upload, with the form's fields:
    source, title, collection, create_collection ("true"), metadata (a JSON object)."""
    given = {name: value for name, value in form.items() if value is not None}
    return Call(
        "POST", "/ingest-async/upload", _adapter(JobAccepted),
        form=given, files={"file": (filename, data)},
    )  # fmt: skip


def list_jobs(
    status: list[JobStatus] | None = None,
    kind: list[JobKind] | None = None,
    collection: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[JobList]:
    return _call(
        "GET", "/jobs", JobList,
        status=status, kind=kind, collection=collection, limit=limit, cursor=cursor,
    )  # fmt: skip


def job_path(job_id: str) -> str:
    return f"/jobs/{_segment(job_id)}"


def get_job(job_id: str) -> Call[JobState]:
    return _call("GET", job_path(job_id), JobState)


def cancel_job(job_id: str) -> Call[JobState]:
    return _call("DELETE", job_path(job_id), JobState)


def cancel_jobs(body: CancelJobs) -> Call[JobsCancelled]:
    return _call("POST", "/jobs/cancel", JobsCancelled, _body(body))


def list_collections() -> Call[CollectionList]:
    return _call("GET", "/collections", CollectionList)


def create_collection(body: CollectionCreate) -> Call[CollectionInfo]:
    return _call("POST", "/collections", CollectionInfo, _body(body))


def delete_collection(name: str) -> Call[CollectionDeleted]:
    return _call("DELETE", f"/collections/{_segment(name)}", CollectionDeleted, confirm=name)


def list_documents(
    collection: str | None = None, limit: int | None = None, offset: int | None = None
) -> Call[DocumentPage]:
    return _call(
        "GET", "/documents", DocumentPage, collection=collection, limit=limit, offset=offset
    )


def _source(source_id: str) -> str:
    return f"/sources/{_segment(source_id)}"


def list_sources(collection: str | None = None) -> Call[SourceList]:
    return _call("GET", "/sources", SourceList, collection=collection)


def create_source(body: SourceCreate) -> Call[Source]:
    return _call("POST", "/sources", Source, _body(body))


def get_source(source_id: str) -> Call[Source]:
    return _call("GET", _source(source_id), Source)


def update_source(source_id: str, body: SourceUpdate) -> Call[Source]:
    return _call("PATCH", _source(source_id), Source, _body(body))


def delete_source(source_id: str, documents: str | None = None) -> Call[SourceDeleted]:
    return _call("DELETE", _source(source_id), SourceDeleted, documents=documents)


def sync_source(source_id: str, body: SyncRequest | None = None) -> Call[JobAccepted]:
    return _call("POST", _source(source_id) + "/sync", JobAccepted, _body(body) if body else None)


def _document(document_id: str) -> str:
    return f"/documents/{_segment(document_id)}"


def get_document(document_id: str, collection: str | None = None) -> Call[DocumentSummary]:
    return _call(
        "GET", f"/documents/{_segment(document_id)}", DocumentSummary, collection=collection
    )


def document_text(
    document_id: str, collection: str | None = None, passages: bool = False
) -> Call[DocumentText]:
    return _call(
        "GET", _document(document_id) + "/text", DocumentText,
        collection=collection, passages="true" if passages else None,
    )  # fmt: skip


def delete_document(document_id: str, collection: str | None = None) -> Call[DocumentDeleted]:
    return _call(
        "DELETE", f"/documents/{_segment(document_id)}", DocumentDeleted, collection=collection
    )


def graph_query(body: GraphQuery) -> Call[GraphAnswer]:
    return _call("POST", "/lightrag/query", GraphAnswer, _body(body))


def graph_relation(body: GraphRelation) -> Call[GraphRelationAnswer]:
    return _call("POST", "/lightrag/relation", GraphRelationAnswer, _body(body))


def create_token(body: TokenCreate) -> Call[TokenCreated]:
    return _call("POST", "/tokens", TokenCreated, _body(body))


def list_tokens() -> Call[TokenList]:
    return _call("GET", "/tokens", TokenList)


def revoke_token(name: str) -> Call[dict[str, str]]:
    return _call("DELETE", f"/tokens/{_segment(name)}", dict[str, str])


def whoami() -> Call[WhoAmI]:
    return _call("GET", "/whoami", WhoAmI)


def restore(archive: Any) -> Call[dict[str, Any]]:
    """A backup archive (a stream of its bytes) restored."""
    return Call("POST", "/restore", _adapter(dict[str, Any]), content=archive)


# The workers' own routes (Shield's service token only).


def _internal(collection: str, document_id: str) -> str:
    return f"/internal/collections/{_segment(collection)}/documents/{_segment(document_id)}"


def internal_document(collection: str, document_id: str) -> Call[DocumentSummary]:
    return _call("GET", _internal(collection, document_id), DocumentSummary)


def put_document(collection: str, document_id: str, write: DocumentWrite) -> Call[DocumentSummary]:
    return _call(
        "PUT", _internal(collection, document_id), DocumentSummary, write.model_dump(mode="json")
    )


def requeue_graph(collection: str, document_id: str) -> Call[DocumentSummary]:
    """Have the graph take in a stored document again (it lacks it), without re-embedding."""
    return _call("POST", _internal(collection, document_id) + "/graph", DocumentSummary)


class ApiClient(ServiceClient):
    """Blocking: the `shield` command and the workers."""

    #: Who calls, in the breaker's metrics: `cli`, `worker`, `mcp`.
    service: ClassVar[str] = "client"

    @classmethod
    def from_settings(cls, settings: ApiClientMixin) -> Self:
        return cls(api_endpoint(settings), api_breaker(settings, cls.service))

    def send(self, call: Call[Answer], **extra: Any) -> Answer:
        """The call's answer; `ApiRefused` for a 4xx, `DependencyUnavailable` for the rest."""
        response = self.request(call.method, call.path, **call.send_kwargs(), **extra)
        if response.status_code >= 400:
            raise ApiRefused(call, response.status_code, error_message(response))
        return call.read(response)


class AsyncApiClient(AsyncServiceClient):
    """The same for event loops: shield-mcp."""

    #: Who calls, in the breaker's metrics: `cli`, `worker`, `mcp`.
    service: ClassVar[str] = "client"

    @classmethod
    def from_settings(cls, settings: ApiClientMixin) -> Self:
        return cls(api_endpoint(settings), api_breaker(settings, cls.service))

    async def send(self, call: Call[Answer], **extra: Any) -> Answer:
        response = await self.request(call.method, call.path, **call.send_kwargs(), **extra)
        if response.status_code >= 400:
            raise ApiRefused(call, response.status_code, error_message(response))
        return call.read(response)
