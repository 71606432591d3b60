"""Every route of every service, read from the applications themselves (a route added tomorrow
is covered tomorrow), refuses a request without a token, with a wrong one, and with the token of
another Shield service; only health, readiness and the API's own description are open."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts

from shield.api.app import create_app as create_api
from shield.config import LightragSettings, McpSettings
from shield.graph_service.service import create_app as create_graph
from shield.mcp.server import build_server
from support.mcp import MCP_TOKEN
from support.services import TOKEN, GraphProcess, api_settings
from tests.security.conftest import Stack

OPEN = {"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# shield-api's readiness is for load balancers; the console's page and files hold no data (its
# calls take a token like any client's).
OPEN_API = OPEN | {"/readyz", "/console", "/console/assets/{name}"}
_PARAMETER = re.compile(r"\{[^}]+\}")
PLACEHOLDER = "5e1f1e1d0000400080000000000000aa"  # any id: the token is checked first


def _guarded(routes: list[Any], open_paths: set[str]) -> list[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(routes):  # routes of included routers too
        if route.path not in open_paths:
            path = _PARAMETER.sub(PLACEHOLDER, route.path)
            found |= {(method, path) for method in route.methods or () if method != "HEAD"}
    return sorted(found)


def api_routes() -> list[tuple[str, str]]:
    app = create_api(api_settings("redis://127.0.0.1:1/0", Path("/nonexistent")), embedder=None)
    return _guarded(app.routes, OPEN_API)


def graph_routes() -> list[tuple[str, str]]:
    settings = LightragSettings(lightrag_token="t" * 32, data_dir=Path("/nonexistent"))
    return _guarded(create_graph(settings).routes, OPEN)


def mcp_routes() -> list[tuple[str, str]]:
    settings = McpSettings(mcp_token="t" * 32, api_url="http://127.0.0.1:1", api_token="t" * 32)
    return _guarded(build_server(settings).http_app(path="/mcp").routes, OPEN)


TOKENS = {"api": TOKEN, "lightrag": GraphProcess.token, "mcp": MCP_TOKEN}
CASES = (
    [("api", method, path) for method, path in api_routes()]
    + [("lightrag", method, path) for method, path in graph_routes()]
    + [("mcp", method, path) for method, path in mcp_routes()]
    + [("worker", "GET", "/metrics")]
)


def _url(stack: Stack, service: str) -> str:
    if service == "worker":
        return f"http://127.0.0.1:{stack.worker.metrics_port}"
    return {"api": stack.api.url, "lightrag": stack.graph.url, "mcp": stack.mcp.url}[service]


@pytest.mark.parametrize(("service", "method", "path"), CASES)
def test_every_route_refuses_a_missing_wrong_or_borrowed_token(
    stack: Stack, service: str, method: str, path: str
) -> None:
    own = TOKEN if service == "worker" else TOKENS[service]  # workers' metrics take the API's
    borrowed = [token for token in TOKENS.values() if token != own]
    attempts = {
        "no token": {},
        "a wrong token": {"Authorization": "Bearer wrong-token-wrong-token-wrong"},
        "not a bearer token": {"Authorization": f"Basic {own}"},
        **{
            f"another service's token {i}": {"Authorization": f"Bearer {t}"}
            for i, t in enumerate(borrowed)
        },
    }
    url = _url(stack, service) + path
    for attempt, headers in attempts.items():
        response = httpx.request(method, url, headers=headers, timeout=10)
        assert response.status_code == 401, (attempt, response.status_code, response.text[:300])
    # And the right token opens it: nothing answers 401 to everyone.
    allowed = httpx.request(method, url, headers={"Authorization": f"Bearer {own}"}, timeout=10)
    assert allowed.status_code != 401, allowed.text[:300]


def test_the_table_covers_every_service_and_their_known_routes() -> None:
    assert ("POST", "/ingest-async") in api_routes()
    assert any(path.startswith("/internal/") for _, path in api_routes())  # hidden from OpenAPI
    assert ("POST", "/query") in graph_routes()
    assert {("POST", "/mcp"), ("GET", "/metrics")} <= set(mcp_routes())
    assert len(CASES) >= 25


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def _large_body(megabytes: int) -> Any:
    block = b'{"chunks": [' + b" " * (1024 * 1024 - 12)
    for _ in range(megabytes):
        yield block


def test_the_token_is_checked_before_a_large_body_is_read(stack: Stack) -> None:
    """Three unauthenticated 250 MB bodies at once, to the workers' write route and to an
    ordinary one: each refused from its headers, shield-api none the bigger for them."""
    assert stack.api.process is not None
    pid = stack.api.process.pid
    before = _rss_mb(pid)
    url = f"{stack.api.url}/internal/collections/docs/documents/{PLACEHOLDER}"
    attempts = [
        ("PUT", url, {}),
        ("PUT", url, {"Authorization": "Bearer wrong-token-wrong-token-wrong"}),
        ("POST", f"{stack.api.url}/store", {}),
    ]
    answers: list[int | str] = []

    def send(method: str, target: str, headers: dict[str, str]) -> None:
        headers = {**headers, "Content-Type": "application/json"}
        try:
            response = httpx.request(
                method, target, headers=headers, content=_large_body(250), timeout=30
            )
            answers.append(response.status_code)
        except httpx.TransportError as exc:  # the server closed once it had answered
            answers.append(type(exc).__name__)

    import threading

    threads = [threading.Thread(target=send, args=attempt) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    grown = _rss_mb(pid) - before
    assert grown < 50, f"shield-api grew by {grown:.0f} MB reading bodies it then refused"
    assert all(a == 401 or isinstance(a, str) for a in answers), answers
    # What a client that sends its body after the headers sees: the 401, its reason, no read.
    with httpx.Client(timeout=10) as client:
        refused = client.put(url, content=b"{}", headers={"Content-Type": "application/json"})
    assert refused.status_code == 401
    assert "missing bearer token" in refused.json()["error"]["message"]
    # The workers' routes take Shield's own token only: a named token is refused, body unread.
    with stack.api.client() as admin:
        made = admin.post("/tokens", json={"name": "body-reader", "scopes": ["write:*"]})
        assert made.status_code == 201, made.text
        named = made.json()["token"]
    forbidden = httpx.put(
        url, content=b"{}", headers={"Authorization": f"Bearer {named}"}, timeout=10
    )
    assert forbidden.status_code == 403
    assert "needs scope Shield's own SHIELD_API_TOKEN" in forbidden.json()["error"]["message"]
