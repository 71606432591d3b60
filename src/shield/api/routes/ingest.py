"""`POST /ingest-async`: accept work, answer 202 with the job at once."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from shield.api.deps import ServicesDep, collection_or_default
from shield.api.schemas import DocumentIngest, JobAccepted
from shield.errors import PayloadTooLarge

router = APIRouter(tags=["ingest"])


@router.post(
    "/ingest-async",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    summary="Queue an ingest job (an inline document); answers 202 with the job",
)
def ingest_async(
    body: DocumentIngest, services: ServicesDep, request: Request, response: Response
) -> JobAccepted:
    if len(body.text) > services.settings.max_text_chars:
        raise PayloadTooLarge(
            f"the text has {len(body.text)} characters; the limit is "
            f"{services.settings.max_text_chars} (SHIELD_MAX_TEXT_CHARS)"
        )
    collection = collection_or_default(services, body.collection)
    state = services.call_redis(
        services.queue.submit, body.kind, collection, body.model_dump(exclude_none=True)
    )
    status_url = str(request.url_for("get_job", job_id=state.job_id).path)
    response.headers["Location"] = status_url
    return JobAccepted(
        job_id=state.job_id,
        status=state.status.value,
        status_url=status_url,
        events_url=str(request.url_for("job_events", job_id=state.job_id).path),
    )
