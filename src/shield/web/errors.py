"""Every error leaves every Shield service as `{"error": {"code", "message", ...}}`."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from shield.errors import DependencyUnavailable, ShieldError
from shield.logging import get_logger

log = get_logger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: object
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers
    )


_UNION_TAGS = frozenset({"document", "crawl"})  # the `kind`s of POST /ingest-async


def _location(loc: tuple[object, ...]) -> str:
    # ("body", "metadata", "k") -> "metadata.k"; the first part only says where it came from.
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _UNION_TAGS:  # ("document", "url"): the kind picked it
        parts = parts[1:]
    return ".".join(parts) or "body"


def _allowed_methods(request: Request) -> str:
    """Every method of the path: Starlette's 405 names only those of the first route that matched
    it, and a path may have several (GET and DELETE /jobs/{job_id} are two routes). A path
    written out in full is its own resource: POST /jobs/cancel is not a job named `cancel`."""
    exact: set[str] = set()
    templated: set[str] = set()
    path = request.url.path
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.path and compile_path(route.path)[0].match(path):
            (exact if route.path == path else templated).update(route.methods)
    return ", ".join(sorted(exact or templated))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ShieldError)
    async def _shield(_request: Request, exc: ShieldError) -> JSONResponse:
        headers = None
        if isinstance(exc, DependencyUnavailable):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(
                400, "invalid_json", "the request body is not valid JSON; send a JSON object"
            )
        fields = [
            {"field": _location(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in errors
        ]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
        return error_response(422, "invalid_input", summary, fields=fields)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return error_response(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = structlog.contextvars.get_contextvars().get("request_id", "")
        log.exception("unhandled_error", path=request.url.path)
        return error_response(
            500,
            "internal_error",
            "internal error; the server log has the details",
            request_id=request_id,
        )
