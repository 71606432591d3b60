"""shield-mcp's 401 says what is wrong and where a token comes from.

FastMCP answers a refused bearer token with advice for OAuth clients ("clear authentication
tokens in your MCP client and reconnect; your client should automatically re-register"), which
sends a person with a mistyped or revoked Shield token the wrong way. This middleware keeps the
status, the `WWW-Authenticate` challenge (its `resource_metadata` for OAuth clients included) and
the RFC 6750 error code, and puts Shield's own words in its description and in the body.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MISSING = (
    "missing bearer token: send 'Authorization: Bearer <token>' with the value of shield-mcp's "
    "SHIELD_MCP_TOKEN, or a named token from 'shield tokens create' (ask whoever runs this Shield)"
)
INVALID = (
    "invalid bearer token: it is not shield-mcp's SHIELD_MCP_TOKEN, nor a named token that is "
    "still valid (it may be mistyped, revoked or expired); check the token your MCP client "
    "sends, or get a new one with 'shield tokens create'"
)
_DESCRIPTION = re.compile(rb'error_description="[^"]*"')


class ShieldUnauthorized:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_bearer = any(
            name.lower() == b"authorization" and value[:7].lower() == b"bearer "
            for name, value in scope["headers"]
        )
        message = INVALID if has_bearer else MISSING
        rewriting = False

        async def send_rewritten(event: Message) -> None:
            nonlocal rewriting
            if event["type"] == "http.response.start" and event["status"] == 401:
                rewriting = True
                body = json.dumps({"error": {"code": "unauthorized", "message": message}}).encode()
                headers = [
                    (name, _described(value) if name.lower() == b"www-authenticate" else value)
                    for name, value in event.get("headers", [])
                    if name.lower() not in (b"content-length", b"content-type")
                ]
                headers += [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({**event, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            if rewriting:  # the original body: replaced above
                return
            await send(event)

        def _described(value: bytes) -> bytes:
            if not has_bearer:
                return value  # RFC 6750 3.1: no error attributes when no token was sent
            return _DESCRIPTION.sub(f'error_description="{INVALID}"'.encode(), value)

        await self.app(scope, receive, send_rewritten)
