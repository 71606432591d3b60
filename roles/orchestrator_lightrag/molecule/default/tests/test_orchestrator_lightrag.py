"""The orchestrator_lightrag role, checked inside its container: the unit as `shield`, files and
modes, the token on everything but /healthz, and a document through the real, offline graph."""

from __future__ import annotations

from typing import Any

import pytest
from testinfra.host import Host

from support.hostchecks import assert_file, assert_runs_as, assert_secrets_kept_out, call_json

testinfra_hosts = ["podman://shield-lightrag-test"]
TOKEN = "molecule-lightrag-token-0123456789"
URL = "http://127.0.0.1:8090"


def call(host: Host, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return call_json(host, method, f"{URL}{path}", TOKEN, body)


def test_the_service_runs_as_the_unprivileged_user(host: Host) -> None:
    assert_runs_as(host, "shield-lightrag", "shield")


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/shield/lightrag.env", "root", "shield", 0o640),
        ("/var/lib/shield", "shield", "shield", 0o750),
        ("/etc/systemd/system/shield-lightrag.service", "root", "root", 0o644),
    ],
)
def test_files_and_modes(host: Host, path: str, owner: str, group: str, mode: int) -> None:
    assert_file(host, path, owner, group, mode)


def test_it_listens_and_guards_everything_but_health(host: Host) -> None:
    assert host.socket("tcp://0.0.0.0:8090").is_listening
    assert '"ok"' in host.check_output(f"curl -fsS {URL}/healthz")
    for path in ("/metrics", "/readyz"):
        status = host.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' {URL}{path}")
        assert status == "401", path
    assert call(host, "GET", "/readyz")["llm"] is False
    metrics = host.check_output(f"curl -fsS -H 'Authorization: Bearer {TOKEN}' {URL}/metrics")
    assert "shield_lightrag_operations_total" in metrics


def test_a_document_goes_into_the_graph_and_answers_a_query(host: Host) -> None:
    chunks = [
        "Mira Holt keeps the lighthouse on Gannet Rock. "
        "The ferry Saltmere Star brings Mira Holt her supplies every Tuesday."
    ]
    stored = call(host, "PUT", "/collections/molecule/documents/d1", {"chunks": chunks})
    assert stored["chunks"] == 1
    answer = call(
        host,
        "POST",
        "/query",
        {"query": "Who keeps the lighthouse on Gannet Rock?", "collection": "molecule"},
    )
    names = {entity["entity_name"].lower() for entity in answer["entities"]}
    assert "mira holt" in names, answer
    assert answer["llm_generated"] is False
    state = host.file("/var/lib/shield/lightrag")
    assert state.is_directory
    assert state.user == "shield"


def test_the_token_stays_out_of_the_unit_and_the_journal(host: Host) -> None:
    assert_secrets_kept_out(
        host, "/etc/systemd/system/shield-lightrag.service", "shield-lightrag", TOKEN
    )
