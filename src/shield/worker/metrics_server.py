"""A worker's /metrics, behind the same bearer token as shield-api when one is set.

prometheus_client's own server has no authentication; a worker's metrics may have to be read
from another host (the monitoring one), so this wraps its WSGI app with the token check.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

StartResponse = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would flood the journal."""


def guarded(
    app: Callable[..., Iterable[bytes]], token: str | None
) -> Callable[..., Iterable[bytes]]:
    """`app`, answering 401 to a request without `Authorization: Bearer <token>`."""
    expected = f"Bearer {token}".encode() if token else None

    def checked(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        given = str(environ.get("HTTP_AUTHORIZATION", "")).encode()
        if expected is not None and not secrets.compare_digest(given, expected):
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
