"""`POST /ingest-async` and `POST /ingest-async/upload`: accept work, answer 202 with the job at
once. Uploaded files are checked here (size, name, content against claimed type, archive
expansion) so a bad file is refused before it is queued."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Request, Response, UploadFile, status

from shield.access.scopes import Access
from shield.api import examples
from shield.api.deps import (
    CallerDep,
    ServicesDep,
    collection_or_default,
    ensure_collection,
    write_target,
)
from shield.api.openapi import error_responses
from shield.api.routes.jobs import accepted
from shield.api.services import Services
from shield.documents.formats import (
    MAX_SOURCE_PATH_CHARS,
    SUPPORTED,
    inspect_file,
    safe_filename,
    upload_source,
)
from shield.documents.inbox import check_in_inbox
from shield.errors import InvalidInput, PayloadTooLarge
from shield.fields import CollectionName, check_metadata
from shield.jobs.requests import (
    CrawlIngest,
    DocumentIngest,
    IngestRequest,
    UploadedFile,
    UploadIngest,
)
from shield.schemas import JobAccepted

router = APIRouter(tags=["ingest"])
MULTIPART_OVERHEAD_BYTES = 64 * 1024
_READ_BLOCK = 1024 * 1024


def _accepted(
    services: Services,
    request: Request,
    response: Response,
    collection: str,
    job_request: DocumentIngest | CrawlIngest | UploadIngest,
    upload: bytes | None = None,
) -> JobAccepted:
    state = services.call_redis(services.queue.submit, job_request, collection, upload)
    return accepted(state, request, response)


@router.post(
    "/ingest-async",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    summary="Queue an ingest job (a document: text, URL or inbox path; or a crawl); answers 202",
    responses={**examples.answer(examples.JOB_ACCEPTED, 202), **error_responses(400, 404, 413)},
)
def ingest_async(
    body: Annotated[IngestRequest, Body(openapi_examples=examples.INGEST)],
    services: ServicesDep,
    caller: CallerDep,
    request: Request,
    response: Response,
) -> JobAccepted:
    caller.require(Access.WRITE, collection_or_default(services, body.collection))
    text = body.text if isinstance(body, DocumentIngest) else None
    if text is not None and len(text) > services.settings.max_text_chars:
        raise PayloadTooLarge(
            f"the text has {len(text)} characters; the limit is "
            f"{services.settings.max_text_chars} (SHIELD_MAX_TEXT_CHARS)"
        )
    collection = write_target(services, caller, body.collection, body.create_collection)
    inbox = services.settings.inbox_dir
    if isinstance(body, DocumentIngest) and body.path is not None and inbox and inbox.is_dir():
        check_in_inbox(inbox, body.path)  # now, rather than as the job's failure
    ensure_collection(services, collection)
    return _accepted(services, request, response, collection, body)


async def _read_limited(file: UploadFile, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while block := await file.read(_READ_BLOCK):
        size += len(block)
        if size > limit:
            raise PayloadTooLarge(
                f"the file is larger than {limit} bytes (SHIELD_MAX_UPLOAD_BYTES)", limit=limit
            )
        chunks.append(block)
    return b"".join(chunks)


def _metadata_field(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidInput('metadata must be a JSON object, e.g. {"team": "ops"}') from None
    if not isinstance(value, dict):
        raise InvalidInput('metadata must be a JSON object, e.g. {"team": "ops"}')
    try:
        return check_metadata(value)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _source_field(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return upload_source(raw)
    except ValueError as exc:
        raise InvalidInput(f"source: {exc}") from None


@router.post(
    "/ingest-async/upload",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    summary="Upload a file to ingest (multipart, field `file`); answers 202",
    description=f"Supported extensions: {SUPPORTED}. The file's bytes must match its extension "
    "(415 otherwise). Its sanitised name, or `source` when given, is the document's identity: "
    "uploading it again replaces the document when its content changed and changes nothing when "
    "it did not.",
    responses={
        **examples.answer(examples.JOB_ACCEPTED, 202),
        **error_responses(400, 404, 413, 415),
    },
)
async def ingest_upload(
    services: ServicesDep,
    caller: CallerDep,
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File(description="The document.")],
    collection: Annotated[CollectionName | None, Form()] = None,
    create_collection: Annotated[
        bool, Form(description="Make the collection if it does not exist.")
    ] = False,
    title: Annotated[str | None, Form(max_length=512)] = None,
    source: Annotated[
        str | None,
        Form(
            description="The document's identity, a relative path such as `guides/setup.md` "
            "(default: the file's name): a folder's files keep apart by their paths.",
            max_length=MAX_SOURCE_PATH_CHARS,
        ),
    ] = None,
    metadata: Annotated[
        str | None, Form(description="A JSON object kept with every chunk.", max_length=16_384)
    ] = None,
) -> JobAccepted:
    name = write_target(services, caller, collection, create_collection)  # before the file
    settings = services.settings
    filename = safe_filename(file.filename or "")
    data = await _read_limited(file, settings.max_upload_bytes)
    fmt = inspect_file(
        filename,
        data,
        media_type=file.content_type,
        max_expanded_bytes=settings.max_expanded_bytes,
        max_compression_ratio=settings.max_compression_ratio,
    )
    job_request = UploadIngest(
        upload=UploadedFile(filename=filename, format=fmt.name, bytes=len(data)),
        source=_source_field(source),
        title=title or None,
        metadata=_metadata_field(metadata),
    )
    ensure_collection(services, name)
    return _accepted(
        services,
        request,
        response,
        name,
        job_request,
        upload=data,
    )
