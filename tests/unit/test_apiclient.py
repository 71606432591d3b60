"""The one shield-api client against shield-api's own routes: every call it can make is a route
of the API with the answer the route declares, names and ids stay one segment of a path, and a
request the API would refuse is refused before it is sent, in the same words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from shield import apiclient
from shield.api.app import create_app
from shield.api.routes import internal
from shield.config import ApiSettings
from shield.documents.models import DocumentWrite
from shield.errors import InvalidInput
from shield.jobs.requests import DocumentIngest
from shield.schemas import (
    CancelJobs,
    CollectionCreate,
    GraphQuery,
    GraphRelation,
    SearchRequest,
    StoreRequest,
    TokenCreate,
)
from shield.sources.models import SourceCreate, SourceUpdate, SyncRequest

OPENAPI = create_app(ApiSettings()).openapi()
# The workers' routes are left out of the published API: their router says what they are.
INTERNAL = {
    (method, route.path): route
    for route in internal.router.routes
    if isinstance(route, APIRoute)
    for method in route.methods
}

CALLS: dict[str, apiclient.Call[Any]] = {
    "search": apiclient.search(SearchRequest(query="boiler")),
    "store": apiclient.store(StoreRequest(text="a note")),
    "ingest": apiclient.ingest(DocumentIngest(kind="document", text="a note")),
    "ingest_upload": apiclient.ingest_upload("a.md", b"# A", {"source": "a.md"}),
    "list_jobs": apiclient.list_jobs(limit=5),
    "get_job": apiclient.get_job("abc123"),
    "cancel_job": apiclient.cancel_job("abc123"),
    "cancel_jobs": apiclient.cancel_jobs(CancelJobs()),
    "list_collections": apiclient.list_collections(),
    "create_collection": apiclient.create_collection(CollectionCreate(name="ops")),
    "delete_collection": apiclient.delete_collection("ops"),
    "list_documents": apiclient.list_documents("ops", 10, 20),
    "get_document": apiclient.get_document("d1", "ops"),
    "document_text": apiclient.document_text("d1", "ops", passages=True),
    "delete_document": apiclient.delete_document("d1"),
    "graph_query": apiclient.graph_query(GraphQuery(query="who?")),
    "graph_relation": apiclient.graph_relation(GraphRelation(source="a", target="b")),
    "create_token": apiclient.create_token(TokenCreate(name="bot", scopes=["read:*"])),
    "list_tokens": apiclient.list_tokens(),
    "revoke_token": apiclient.revoke_token("bot"),
    "whoami": apiclient.whoami(),
    "list_sources": apiclient.list_sources("ops"),
    "create_source": apiclient.create_source(
        SourceCreate(kind="folder", path="runbooks", every="1h")
    ),
    "get_source": apiclient.get_source("s1"),
    "update_source": apiclient.update_source("s1", SourceUpdate(every=None)),
    "delete_source": apiclient.delete_source("s1", "delete"),
    "sync_source": apiclient.sync_source("s1", SyncRequest(force=True)),
    "restore": apiclient.restore(b""),
    "internal_document": apiclient.internal_document("ops", "d1"),
    "put_document": apiclient.put_document(
        "ops", "d1", DocumentWrite(source="a", content_hash="h", embedding_model="m", chunks=[])
    ),
    "requeue_graph": apiclient.requeue_graph("ops", "d1"),
}


def template_of(call: apiclient.Call[Any]) -> str:
    """The route's path (`/jobs/{job_id}`) that the call's path is one of."""
    templates = [path for path in OPENAPI["paths"]] + [path for _, path in INTERNAL]
    for template in templates:
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, call.path):
            return template
    raise AssertionError(f"{call.method} {call.path} is no route of shield-api")


def model_names(schema: dict[str, Any]) -> set[str]:
    """The models an answer's JSON schema names (`object` for a plain mapping)."""
    if "$ref" in schema:
        return {schema["$ref"].rsplit("/", 1)[-1]}
    if "anyOf" in schema:
        return set().union(*(model_names(s) for s in schema["anyOf"]))
    return {schema["title"]} if "properties" in schema else {"object"}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_call_is_a_route_of_shield_api_answering_what_the_route_declares(name: str) -> None:
    call = CALLS[name]
    template = template_of(call)
    if (call.method, template) in INTERNAL:
        route = INTERNAL[call.method, template]
        declared = {p.alias for p in route.dependant.query_params}
    else:
        operation = OPENAPI["paths"][template].get(call.method.lower())
        assert operation, f"{name}: shield-api has no {call.method} {template}"
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        success = next(r for code, r in operation["responses"].items() if code.startswith("2"))
        answered = success["content"]["application/json"]["schema"]
        assert model_names(call.answer.json_schema()) == model_names(answered), name
    assert set(call.params) <= declared, f"{name}: {set(call.params) - declared} not taken"


def test_the_client_has_a_call_for_every_route_its_clients_use() -> None:
    """A route added for Shield's clients gets its call here (the console, the probes, the
    metrics, the backup stream and the event stream speak HTTP of their own)."""
    own_http = {"/healthz", "/readyz", "/metrics", "/backup", "/jobs/{job_id}/events",
                "/collections/{collection}/reindex", "/tokens/{name}"}  # fmt: skip
    covered = {template_of(call) for call in CALLS.values()}
    missing = set(OPENAPI["paths"]) - covered - own_http
    assert not missing, f"no call for {sorted(missing)}"


def test_names_and_ids_stay_one_segment_of_the_path() -> None:
    assert apiclient.revoke_token("../collections/ops").path == "/tokens/..%2Fcollections%2Fops"
    assert apiclient.get_job("a/b").path == "/jobs/a%2Fb"
    assert apiclient.delete_document("x?y", "ops").path == "/documents/x%3Fy"


def test_only_what_the_caller_gave_is_sent() -> None:
    body = apiclient.request(SearchRequest, query="boiler", limit=None, mode=None, offset=3)
    assert apiclient.search(body).json == {"query": "boiler", "offset": 3}
    assert apiclient.list_documents("ops").params == {"collection": "ops"}


def test_a_request_shield_api_would_refuse_is_refused_here_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        apiclient.request(SearchRequest, query="boiler", limit=1000, score_threshold=3.0)
    assert "limit: Input should be less than or equal to 100" in refused.value.message
    with pytest.raises(InvalidInput, match="give either text"):
        apiclient.request(StoreRequest)
