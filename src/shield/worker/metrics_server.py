"""A worker's /metrics, behind the same bearer token as shield-api when one is set.

prometheus_client's own server has no authentication; a worker's metrics may have to be read
from another host (the monitoring one), so this wraps its WSGI app with the token check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from shield.web.tokens import bearer_token, token_matches

StartResponse = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would flood the journal."""


def guarded(
    app: Callable[..., Iterable[bytes]], token: str | None
) -> Callable[..., Iterable[bytes]]:
    """`app`, answering 401 to a request without `Authorization: Bearer <token>`."""

    def checked(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        given = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        if token is not None and not token_matches(given, token):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
            return [b"a bearer token is required (the one shield-api demands)\n"]
        return app(environ, start_response)

    return checked


def serve_metrics(host: str, port: int, token: str | None) -> None:
    """Serves /metrics from a daemon thread until the process ends."""
    server = make_server(
        host,
        port,
        guarded(make_wsgi_app(), token),
        ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
