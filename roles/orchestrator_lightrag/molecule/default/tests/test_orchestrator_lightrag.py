"""The orchestrator_lightrag role, checked inside its container: the unit as `shield`, files and
modes, the token on everything but /healthz, and a document through the real, offline graph."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

testinfra_hosts = ["podman://shield-lightrag-test"]
TOKEN = "molecule-lightrag-token-0123456789"
URL = "http://127.0.0.1:8090"


def call(host: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    command = (
        f"curl -fsS -X {method} -H 'Authorization: Bearer {TOKEN}' "
        f"-H 'content-type: application/json' {URL}{path}"
    )
    if body is not None:
        command += f" -d {shlex.quote(json.dumps(body))}"
    return json.loads(host.check_output(command))


def test_the_service_runs_as_the_unprivileged_user(host: Any) -> None:
    service = host.service("shield-lightrag")
    assert service.is_running
    assert service.is_enabled
    pid = host.check_output("systemctl show -p MainPID --value shield-lightrag")
    assert host.check_output(f"stat -c %U /proc/{pid}") == "shield"


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/shield/lightrag.env", "root", "shield", 0o640),
        ("/var/lib/shield", "shield", "shield", 0o750),
        ("/etc/systemd/system/shield-lightrag.service", "root", "root", 0o644),
    ],
)
def test_files_and_modes(host: Any, path: str, owner: str, group: str, mode: int) -> None:
    target = host.file(path)
    assert target.exists
    assert (target.user, target.group, target.mode) == (owner, group, mode)


def test_it_listens_and_guards_everything_but_health(host: Any) -> None:
    assert host.socket("tcp://0.0.0.0:8090").is_listening
    assert '"ok"' in host.check_output(f"curl -fsS {URL}/healthz")
    for path in ("/metrics", "/readyz"):
        status = host.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' {URL}{path}")
        assert status == "401", path
    assert call(host, "GET", "/readyz")["llm"] is False
    metrics = host.check_output(f"curl -fsS -H 'Authorization: Bearer {TOKEN}' {URL}/metrics")
    assert "shield_lightrag_operations_total" in metrics


def test_a_document_goes_into_the_graph_and_answers_a_query(host: Any) -> None:
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


def test_the_token_stays_out_of_the_unit_and_the_journal(host: Any) -> None:
    assert TOKEN not in host.file("/etc/systemd/system/shield-lightrag.service").content_string
    assert TOKEN not in host.check_output("journalctl -u shield-lightrag --no-pager")
