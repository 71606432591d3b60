"""ASGI middleware: request ids, request logs and metrics by route template, body size limits.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses such as SSE pass straight through.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shield.access.scopes import ACT_AS_HEADER
from shield.api.caller import Caller
from shield.errors import ShieldError
from shield.logging import get_logger
from shield.metrics import API_DURATION, API_REQUESTS

log = get_logger("shield.api.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_QUIET = {"/healthz", "/readyz", "/metrics"}
DRAIN_CAP_BYTES = 64 * 1024 * 1024


def _route_template(app: Any, scope: Scope) -> str:
    route = scope.get("route")
    if route is not None:
        return str(route.path)
    # The request never reached routing (refused early): find its route the router's way.
    for candidate in getattr(app, "routes", []):
        match, child = candidate.matches(scope)
        if match == Match.FULL:
            return str(getattr(child.get("route", candidate), "path", "unmatched"))
    return "unmatched"


class _TooLarge(Exception):
    pass


class RequestMiddleware:
    def __init__(
        self, app: ASGIApp, router_app: Any, max_body: int, path_limits: dict[str, int]
    ) -> None:
        """`path_limits` maps path prefixes to their own body limit (uploads, internal writes)."""
        self.app = app
        self.router_app = router_app
        self.max_body = max_body
        self.path_limits = path_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        limit = next(
            (n for prefix, n in self.path_limits.items() if scope["path"].startswith(prefix)),
            self.max_body,
        )
        start = time.perf_counter()
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            length = int(headers.get("content-length", "0") or 0)
        except ValueError:
            length = 0
        try:
            if length > limit:
                raise _TooLarge
            await self.app(scope, receive_wrapper, send_wrapper)
        except _TooLarge:
            if not started:
                status = 413
                await _drain(receive)
                await _send_json(
                    send,
                    413,
                    {
                        "error": {
                            "code": "payload_too_large",
                            "message": f"the request body is larger than {limit} bytes",
                            "limit": limit,
                        }
                    },
                    request_id,
                )
        finally:
            elapsed = time.perf_counter() - start
            endpoint = _route_template(self.router_app, scope)
            API_REQUESTS.labels(endpoint, scope["method"], str(status)).inc()
            API_DURATION.labels(endpoint).observe(elapsed)
            if scope["path"] not in _QUIET:
                log.info(
                    "request",
                    method=scope["method"],
                    endpoint=endpoint,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")


async def _drain(receive: Receive) -> None:
    """Read what the client is still sending (up to a cap) so that it gets to read our 413
    instead of a connection reset; past the cap the server closes the connection."""
    drained = 0
    while drained < DRAIN_CAP_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _send_json(send: Send, status: int, body: dict[str, Any], request_id: str) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


#: Methods whose requests carry no body: nothing to protect before the route checks the token.
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
INTERNAL_PREFIX = "/internal/"
PRINCIPAL_STATE = "principal"


class BearerGate:
    """The token before the body: a request that carries a body (every write) is authenticated
    from its headers before a byte of the body is read or parsed; a refused one answers 401 (or
    403 for `/internal/`, which only Shield's own services may call) and its body is never read.

    FastAPI reads and parses a body before it resolves a route's dependencies, so without this an
    unauthenticated 250 MB body was held in memory before its 401. The principal found here is
    kept in the request's state, and `authenticate` takes it from there."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        scheme, _, token = headers.get("authorization", "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
        authenticator = scope["app"].state.services.authenticator
        try:
            principal = await run_in_threadpool(
                authenticator.principal, bearer, headers.get(ACT_AS_HEADER.lower())
            )
            if scope["path"].startswith(INTERNAL_PREFIX):
                Caller(principal, f"{scope['method']} {scope['path']}").require_service()
        except ShieldError as exc:
            await _send_refusal(send, exc)
            return
        scope.setdefault("state", {})[PRINCIPAL_STATE] = principal
        await self.app(scope, receive, send)


async def _send_refusal(send: Send, exc: ShieldError) -> None:
    payload = json.dumps({"error": exc.to_dict()}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        # The body was not read: the connection cannot carry another request.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
