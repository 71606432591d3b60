"""Every endpoint answers bad input with a 4xx, the JSON error shape and a message a person can
act on; auth, health, readiness and metrics behave as documented."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from support.metrics import sample
from support.services import ApiServer


def assert_error(response: httpx.Response, status: int, code: str, text: str = "") -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert text.lower() in error["message"].lower(), error["message"]


# Ids fixed, not drawn at random: the same tests are collected in every process of a parallel
# run (pytest-xdist).
_JOB = "5f0e1d2c3b4a49588776655443322110"
_DOC = "0b6d4f0e-8c1a-4b7e-9f5d-2a3c4e5f6a7b"
PROTECTED = [
    ("POST", "/ingest-async"),
    ("GET", "/jobs"),
    ("GET", f"/jobs/{_JOB}"),
    ("DELETE", f"/jobs/{_JOB}"),
    ("GET", f"/jobs/{_JOB}/events"),
    ("POST", "/search"),
    ("POST", "/store"),
    ("GET", "/documents"),
    ("GET", f"/documents/{_DOC}"),
    ("DELETE", f"/documents/{_DOC}"),
    ("GET", "/collections"),
    ("GET", "/sources"),
    ("POST", "/sources"),
    ("GET", "/sources/5e0c1f7a9b2d4e61"),
    ("PATCH", "/sources/5e0c1f7a9b2d4e61"),
    ("DELETE", "/sources/5e0c1f7a9b2d4e61"),
    ("POST", "/sources/5e0c1f7a9b2d4e61/sync"),
    ("POST", "/lightrag/query"),
    ("POST", "/lightrag/relation"),
    ("POST", "/ingest-async/upload"),
    ("GET", "/metrics"),
    ("GET", f"/internal/collections/shield/documents/{_DOC}"),
    ("PUT", f"/internal/collections/shield/documents/{_DOC}"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_route_but_health_demands_the_token(api: ApiServer, method: str, path: str) -> None:
    with api.client(token=None) as anonymous:
        assert_error(anonymous.request(method, path), 401, "unauthorized", "missing bearer token")
    with api.client(token="wrong-token-wrong-token") as intruder:
        assert_error(intruder.request(method, path), 401, "unauthorized", "invalid bearer token")


def test_health_is_open_and_readiness_lists_dependencies(api: ApiServer) -> None:
    with api.client(token=None) as anonymous:
        assert anonymous.get("/healthz").json()["status"] == "ok"
        ready = anonymous.get("/readyz")
        assert ready.status_code == 200
        checks = ready.json()["checks"]
        assert set(checks) == {"redis", "vector_store", "embedder"}
        assert all(c["ok"] for c in checks.values())


BAD_BODIES: list[tuple[str, str, dict[str, Any] | str, int, str, str]] = [
    ("/ingest-async", "POST", "{not json", 400, "invalid_json", "not valid JSON"),
    ("/ingest-async", "POST", {"kind": "document"}, 422, "invalid_input", "text"),
    ("/ingest-async", "POST", {"kind": "video", "text": "x"}, 422, "invalid_input", "kind"),
    ("/ingest-async", "POST", {"kind": "document", "text": 12}, 422, "invalid_input", "text"),
    (
        "/ingest-async",
        "POST",
        {"kind": "document", "text": "x", "colour": 1},
        422,
        "invalid_input",
        "colour",
    ),
    (
        "/ingest-async",
        "POST",
        {"kind": "document", "text": "x", "collection": "../etc"},
        422,
        "invalid_input",
        "collection",
    ),
    (
        "/ingest-async",
        "POST",
        {"kind": "document", "text": "x", "metadata": {f"k{i}": i for i in range(100)}},
        422,
        "invalid_input",
        "metadata",
    ),
    ("/ingest-async", "POST", [1, 2], 422, "invalid_input", ""),
    ("/search", "POST", {"query": ""}, 422, "invalid_input", "query"),
    ("/search", "POST", {"query": "x", "limit": "ten"}, 422, "invalid_input", "limit"),
    ("/search", "POST", {"query": "x", "limit": 10_000}, 422, "invalid_input", "limit"),
    (
        "/search",
        "POST",
        {"query": "x", "filter": {"password": "x"}},
        422,
        "invalid_input",
        "cannot filter on 'password'",
    ),
    (
        "/search",
        "POST",
        {"query": "x", "filter": {"source": {"$ne": 1}}},
        422,
        "invalid_input",
        "filter",
    ),
    ("/store", "POST", {"metadata": {}}, 422, "invalid_input", "text"),
]


@pytest.mark.parametrize(("path", "method", "body", "status", "code", "text"), BAD_BODIES)
def test_bad_bodies_get_clear_errors(
    api: ApiServer, path: str, method: str, body: Any, status: int, code: str, text: str
) -> None:
    with api.client() as client:
        if isinstance(body, str):
            response = client.request(
                method, path, content=body, headers={"content-type": "application/json"}
            )
        else:
            response = client.request(method, path, json=body)
        assert_error(response, status, code, text)


def test_oversized_bodies_are_refused(api: ApiServer) -> None:
    with api.client() as client:
        huge = "x" * (api.settings.max_body_bytes + 1)
        response = client.post("/ingest-async", json={"kind": "document", "text": huge})
        assert_error(response, 413, "payload_too_large", "larger than")
        too_long = "y" * (api.settings.max_text_chars + 1)
        assert len(too_long) < api.settings.max_body_bytes
        response = client.post("/ingest-async", json={"kind": "document", "text": too_long})
        assert_error(response, 413, "payload_too_large", "SHIELD_MAX_TEXT_CHARS")
        long_note = "z" * (api.settings.max_store_chars + 1)
        assert_error(
            client.post("/store", json={"text": long_note}),
            413,
            "payload_too_large",
            "/ingest-async",
        )


def test_unknown_ids_and_routes_are_404(api: ApiServer) -> None:
    with api.client() as client:
        job = uuid.uuid4().hex
        assert_error(client.get(f"/jobs/{job}"), 404, "not_found", job)
        assert_error(client.delete(f"/jobs/{job}"), 404, "not_found", job)
        assert_error(client.get(f"/jobs/{job}/events"), 404, "not_found", job)
        client.post("/store", json={"text": "something to make the collection exist"})
        doc = str(uuid.uuid4())
        assert_error(client.get(f"/documents/{doc}"), 404, "not_found", doc)
        assert_error(client.delete(f"/documents/{doc}"), 404, "not_found", doc)
        assert_error(
            client.post("/search", json={"query": "x", "collection": "nope"}),
            404,
            "not_found",
            "collection 'nope' does not exist",
        )
        assert_error(client.get("/documents", params={"collection": "nope"}), 404, "not_found")
        assert_error(client.get("/no-such-route"), 404, "not_found")
        assert_error(client.put("/search"), 405, "method_not_allowed")
        wrong_method = client.put(f"/jobs/{job}")  # two routes share the path: both are named
        assert_error(wrong_method, 405, "method_not_allowed")
        assert wrong_method.headers["allow"] == "DELETE, GET"


def test_request_ids_are_echoed_and_metrics_use_route_templates(api: ApiServer) -> None:
    with api.client() as client:
        response = client.get(f"/jobs/{uuid.uuid4().hex}", headers={"x-request-id": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"
        assert len(client.get("/healthz").headers["x-request-id"]) == 32
        metrics = client.get("/metrics").text
        counted = sample(
            metrics,
            "shield_api_requests_total",
            endpoint="/jobs/{job_id}",
            method="GET",
            status="404",
        )
        assert counted >= 1
        assert "shield_circuit_breaker_state{" in metrics
        assert 'breaker="vector_store"' in metrics
        # No raw ids in labels, only the routes' own paths: cardinality stays bounded.
        routes = set(client.get("/openapi.json").json()["paths"])
        endpoints = set(re.findall(r'shield_api_requests_total\{endpoint="([^"]+)"', metrics))
        assert "/jobs/{job_id}" in endpoints
        assert not {e for e in endpoints if e.startswith("/jobs/")} - routes


def test_ingest_answers_202_with_the_job(api: ApiServer) -> None:
    with api.client() as client:
        response = client.post("/ingest-async", json={"kind": "document", "text": "hello"})
        assert response.status_code == 202
        body = response.json()
        assert set(body) == {"job_id", "status", "status_url", "events_url"}
        assert response.headers["location"] == body["status_url"]
        state = client.get(body["status_url"]).json()
        assert state["status"] == "queued"
        assert state["request"] == {"kind": "document", "text_chars": 5}
        assert body["job_id"] in [j["job_id"] for j in client.get("/jobs").json()["jobs"]]


def test_the_graph_without_shield_lightrag_says_so_and_validates_first(api: ApiServer) -> None:
    with api.client() as client:
        answer = client.post("/lightrag/query", json={"query": "who maintains the lighthouse"})
        assert_error(answer, 503, "not_available", "SHIELD_LIGHTRAG_URL")
        for body, field in (
            ({"query": "x", "mode": "telepathy"}, "mode"),
            ({"query": ""}, "query"),
            ({"query": "x" * 4097}, "query"),
            ({"query": "x", "top_k": 0}, "top_k"),
            ({"mode": "local"}, "query"),
        ):
            response = client.post("/lightrag/query", json=body)
            assert response.status_code == 422, response.text
            assert response.json()["error"]["fields"][0]["field"] == field


def test_a_documents_text_comes_with_its_passages_when_asked(api: ApiServer) -> None:
    text = "The tide gauge at Wren Quay is read at every slack water."
    with api.client() as client:
        stored = client.post("/store", json={"text": text, "source": "gauge.md"})
        assert stored.status_code == 200, stored.text
        doc_id = stored.json()["document_id"]
        plain = client.get(f"/documents/{doc_id}/text").json()
        assert plain["text"] == text
        assert "passages" not in plain
        full = client.get(f"/documents/{doc_id}/text", params={"passages": "true"}).json()
        assert full["passages"] == [text]
        assert full["chunks"] == 1
        wrong = client.get(f"/documents/{doc_id}/text", params={"passages": "maybe"})
        assert wrong.status_code == 422, wrong.text


def test_a_write_to_a_collection_that_does_not_exist_is_refused_unless_it_says_create(
    api: ApiServer,
) -> None:
    with api.client() as client:
        note = {"text": "Ops keeps the pager rota.", "collection": "ops-notes"}
        assert client.post("/store", json={**note, "create_collection": True}).status_code == 200
        before = len(client.get("/jobs", params={"limit": 500}).json()["jobs"])
        upload = {"file": ("pump.md", b"# Pump\n\nThe pump is checked weekly.\n")}
        refused = [
            client.post("/store", json={"text": "x", "collection": "ops-ntoes"}),
            client.post(
                "/ingest-async", json={"kind": "document", "text": "x", "collection": "ops-ntoes"}
            ),
            client.post(
                "/ingest-async",
                json={
                    "kind": "crawl",
                    "url": "https://docs.example.org/",
                    "collection": "ops-ntoes",
                },
            ),
            client.post("/ingest-async/upload", files=upload, data={"collection": "ops-ntoes"}),
        ]
        for response in refused:
            assert_error(response, 404, "not_found", "collection 'ops-ntoes' does not exist")
            message = response.json()["error"]["message"]
            assert "you may write to: " in message
            assert "ops-notes" in message  # the one the caller meant, among them
            assert "create_collection: true" in message
        names = {c["name"] for c in client.get("/collections").json()["collections"]}
        assert "ops-ntoes" not in names  # nothing made by mistake
        assert len(client.get("/jobs", params={"limit": 500}).json()["jobs"]) == before

        # Said explicitly, each kind of write makes its collection, and once it exists the
        # next write needs no flag.
        made = client.post(
            "/ingest-async/upload",
            files=upload,
            data={"collection": "pumps", "create_collection": "true"},
        )
        assert made.status_code == 202, made.text
        queued = client.post(
            "/ingest-async",
            json={
                "kind": "document",
                "text": "y",
                "collection": "valves",
                "create_collection": True,
            },
        )
        assert queued.status_code == 202, queued.text
        assert "create_collection" not in client.get(queued.json()["status_url"]).json()["request"]
        names = {c["name"] for c in client.get("/collections").json()["collections"]}
        assert {"ops-notes", "pumps", "valves"} <= names
        again = client.post("/store", json={"text": "z", "collection": "valves"})
        assert again.status_code == 200, again.text
        # The default collection is made by its first write, as ever.
        assert client.post("/store", json={"text": "Default notes."}).status_code == 200
