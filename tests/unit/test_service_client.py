"""The one client of Shield's own services: every caller (the workers, shield-mcp, shield-api's
calls to the graph) sees a service's unavailability the same way, with the service's own
Retry-After, and the breaker in front of it fails fast once open.

The server here answers whatever status a test asks for, over real HTTP: a real shield-api cannot
be made to answer 429 or a chosen Retry-After on demand."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shield.errors import DependencyUnavailable
from shield.net.service_client import AsyncServiceClient, ServiceClient, ServiceEndpoint
from shield.resilience import Breaker


class StatusServer:
    """Answers `GET /<status>` with that status; `/slow` waits longer than the client."""

    def __init__(self) -> None:
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.hits += 1
                if self.path == "/slow":
                    time.sleep(1.0)
                status = int(self.path.strip("/")) if self.path.strip("/").isdigit() else 200
                body = b'{"error": {"code": "x", "message": "the reason"}}'
                self.send_response(status)
                if status in (429, 503):
                    self.send_header("Retry-After", "7")
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[StatusServer]:
    status_server = StatusServer()
    yield status_server
    status_server.close()


def endpoint(url: str) -> ServiceEndpoint:
    return ServiceEndpoint("api", "shield-api", url, "token-0123456789abcdef", timeout=0.3)


def breaker(failures: int = 5) -> Breaker:
    return Breaker("tests", "api", failures, 60.0, register=False)


@pytest.mark.parametrize("status", [429, 503])
def test_overload_and_outage_are_unavailability_with_the_services_retry_after(
    server: StatusServer, status: int
) -> None:
    client = ServiceClient(endpoint(server.url), breaker())
    with pytest.raises(DependencyUnavailable) as excinfo:
        client.request("GET", f"/{status}")
    assert excinfo.value.retry_after == 7
    assert f"shield-api answered {status}: the reason" in excinfo.value.message

    async def call() -> None:
        async_client = AsyncServiceClient(endpoint(server.url), breaker())
        try:
            await async_client.request("GET", f"/{status}")
        finally:
            await async_client.aclose()

    with pytest.raises(DependencyUnavailable) as async_info:
        asyncio.run(call())
    assert async_info.value.message == excinfo.value.message
    assert async_info.value.retry_after == 7


def test_a_callers_mistake_is_an_answer_not_an_outage(server: StatusServer) -> None:
    client = ServiceClient(endpoint(server.url), breaker(failures=1))
    for _ in range(3):
        assert client.request("GET", "/404").status_code == 404
    assert not client.breaker.is_open


def test_silence_and_absence_say_which(server: StatusServer) -> None:
    with pytest.raises(DependencyUnavailable, match="shield-api did not answer in time"):
        ServiceClient(endpoint(server.url), breaker()).request("GET", "/slow")
    closed = ServiceClient(endpoint("http://127.0.0.1:1"), breaker())
    with pytest.raises(DependencyUnavailable, match="shield-api is unreachable"):
        closed.request("GET", "/")


def test_an_open_breaker_fails_without_calling_the_service(server: StatusServer) -> None:
    client = ServiceClient(endpoint(server.url), breaker(failures=2))
    for _ in range(2):
        with pytest.raises(DependencyUnavailable):
            client.request("GET", "/503")
    hits = server.hits
    with pytest.raises(DependencyUnavailable) as excinfo:
        client.request("GET", "/200")
    assert excinfo.value.circuit_open
    assert server.hits == hits
