"""What /openapi.json says about errors: each route lists every status it can answer besides its
success, with the one error shape of shield-api, so a client generated from the schema (or a
fuzzer checking it) knows them all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # some errors add context (job_id, fields, limit)

    code: str = Field(description="Stable and machine-readable: `not_found`, `invalid_input`, ...")
    message: str = Field(description="For people: what went wrong and how to put it right.")


class ErrorBody(BaseModel):
    error: ErrorDetail


_DESCRIPTIONS = {
    400: "The body is not valid JSON (or not valid multipart form data).",
    401: "No bearer token, or one that is unknown, revoked or expired.",
    403: "The token lacks the scope this needs (`scope` names it): `read:<collection>`, "
    "`write:<collection>` or `admin`.",
    404: "The job, document or collection does not exist.",
    409: "The job has already ended (it cannot be cancelled), the collection was built "
    "with another embedding model, (a restore) the platform is not empty, or (a token) the "
    "name or the secret is taken.",
    413: "The body, text or file is larger than the configured limit.",
    422: "A field is missing, of the wrong type or out of range (`fields` names each one), or "
    "a query parameter is one the route does not take (`unknown` names them).",
    415: "The file is not in a format Shield reads, or its bytes do not match its extension.",
    501: "The vector store is a Qdrant server, which Shield's backups leave to its own snapshots.",
    503: "A dependency (Redis, the vector store, shield-lightrag) is unavailable or its circuit "
    "breaker is open; `Retry-After` says when to try again.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route or router for these error statuses."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {"model": ErrorBody, "description": _DESCRIPTIONS[status]}
        if status == 503:
            response["headers"] = _RETRY_AFTER
        responses[status] = response
    return responses


def document_validation_errors(app: FastAPI) -> None:
    """FastAPI documents its own 422 body (`{"detail": [...]}`); shield-api answers 422 in its
    one error shape, so the document says that instead."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for item in schema["paths"].values():
            for operation in item.values():
                if "422" in operation.get("responses", {}):
                    operation["responses"]["422"] = {
                        "description": _DESCRIPTIONS[422],
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ErrorBody"}
                            }
                        },
                    }
        for unused in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
