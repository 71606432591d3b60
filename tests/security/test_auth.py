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
from shield.graph.service import create_app as create_graph
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
