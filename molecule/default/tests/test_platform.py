"""The whole platform after `site.yml`, one container per inventory group: an MCP client (the
official SDK) on this machine stores, ingests a document and finds it through shield-mcp, whose
calls cross the network to shield-api, the worker, Redis and shield-lightrag."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml
from mcp import ClientSession
from testinfra.host import Host

from support.mcp import structured, with_session

testinfra_hosts = ["podman://shield-p-api"]
MCP_URL = "http://127.0.0.1:18000"  # shield-mcp, published on this machine


def secret(name: str) -> str:
    # site.yml generated the tokens beside the inventory Molecule wrote.
    inventory = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"
    return (inventory / ".secrets" / name).read_text().strip()


def vault() -> dict[str, Any]:
    """What the scenario gives once, as an operator would from Ansible Vault."""
    path = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "vars" / "vault.yml"
    given: dict[str, Any] = yaml.safe_load(path.read_text())
    return given


def given_api_token() -> str:
    return str(vault()["shield_api_token"])


@pytest.mark.parametrize(
    ("container", "path", "line"),
    [
        ("shield-p-api", "/etc/shield/api.env", 'SHIELD_API_TOKEN="{}"'),
        ("shield-p-mcp", "/etc/shield/mcp.env", 'SHIELD_API_TOKEN="{}"'),
        ("shield-p-worker", "/etc/shield/worker.env", 'SHIELD_API_TOKEN="{}"'),
        ("shield-p-monitor", "/etc/prometheus/tokens/api.token", "{}"),
    ],
)
def test_the_api_token_given_once_reaches_every_client(
    host: Host, container: str, path: str, line: str
) -> None:
    content = host.get_host(f"podman://{container}").file(path).content_string
    assert line.format(given_api_token()) in content.splitlines()
    inventory = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"
    assert not (inventory / ".secrets" / "api-token").exists(), "a role generated its own token"


def test_mcp_refuses_a_client_without_the_token() -> None:
    response = httpx.post(f"{MCP_URL}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 401


def test_store_ingest_find_and_ask_the_graph_over_the_network() -> None:
    async def body(session: ClientSession) -> dict[str, Any]:
        stored = structured(
            await session.call_tool(
                "qdrant_store", {"text": "The depot gate code changes every Monday."}
            )
        )
        job = structured(
            await session.call_tool(
                "ingest_doc",
                {
                    "text": "# Ferries\nThe ferry Saltmere Star sails from Tollgard to Gannet "
                    "Rock at dawn. Mira Holt keeps the lighthouse on Gannet Rock.",
                    "source": "ferries.md",
                },
            )
        )
        state: dict[str, Any] = {}
        for _ in range(600):  # done, and the graph (which takes documents afterwards) too
            state = structured(await session.call_tool("get_job_status", {"job_id": job["job_id"]}))
            documents = state.get("result", {}).get("documents") or [{}]
            if state["status"] in ("failed", "cancelled") or (
                state["status"] == "succeeded" and documents[0].get("graph") != "pending"
            ):
                break
            await asyncio.sleep(0.2)
        found = structured(
            await session.call_tool("qdrant_find", {"query": "which ship goes to Gannet Rock?"})
        )
        graph = structured(
            await session.call_tool(
                "lightrag_query", {"query": "Who keeps the lighthouse on Gannet Rock?"}
            )
        )
        return {"stored": stored, "state": state, "found": found, "graph": graph}

    out = with_session(MCP_URL, secret("mcp-token"), body, timeout=120)
    assert out["state"]["status"] == "succeeded", out["state"]
    assert out["state"]["result"]["documents"][0]["graph"] == "stored", out["state"]
    assert "Saltmere Star" in out["found"]["results"][0]["text"], out["found"]
    assert any("depot gate" in hit["text"] for hit in out["found"]["results"])
    names = {entity["entity_name"].lower() for entity in out["graph"]["entities"]}
    assert "mira holt" in names, out["graph"]


def test_a_named_token_from_the_vault_reads_its_collection_only_through_mcp() -> None:
    """Provisioned at deploy, and still there after the restore the side effect ran."""
    given = vault()["shield_api_tokens"][0]

    async def body(session: ClientSession) -> dict[str, Any]:
        tools = {tool.name for tool in (await session.list_tools()).tools}
        sources = await session.call_tool("list_sources", {})
        found = await session.call_tool("qdrant_find", {"query": "depot gate"})
        elsewhere = await session.call_tool(
            "qdrant_find", {"query": "boiler", "collection": "backed-up"}
        )
        return {"tools": tools, "found": found, "elsewhere": elsewhere, "sources": sources}

    out = with_session(MCP_URL, given["token"], body)
    assert "qdrant_find" in out["tools"]
    assert "qdrant_store" not in out["tools"]  # it may write nowhere
    assert not out["found"].is_error, out["found"].content
    assert out["elsewhere"].is_error
    assert "needs scope read:backed-up" in out["elsewhere"].content[0].text
    # The source the inventory provisions, scheduled, in the collection the token reads.
    (source,) = structured(out["sources"])["sources"]
    assert (source["kind"], source["url"], source["every"]) == (
        "web", "https://docs.example.org/", "6h"
    )  # fmt: skip
    assert source["name"] == "Product docs"
    assert source["next_sync_at"] is not None


@pytest.mark.parametrize(
    ("container", "unit"),
    [
        ("shield-p-redis", "redis-server"),
        ("shield-p-graph", "shield-lightrag"),
        ("shield-p-api", "shield-api"),
        ("shield-p-worker", "shield-worker@1"),
        ("shield-p-mcp", "shield-mcp"),
        ("shield-p-monitor", "prometheus"),
        ("shield-p-monitor", "prometheus-alertmanager"),
        ("shield-p-redis", "prometheus-node-exporter"),
        ("shield-p-worker", "prometheus-node-exporter"),
    ],
)
def test_each_group_runs_its_own_service_hardened(host: Host, container: str, unit: str) -> None:
    other = host.get_host(f"podman://{container}")
    assert other.service(unit).is_running
    assert other.service(unit).is_enabled
    # systemd's own rating of the sandbox, 0 (locked down) to 10 (exposed); 3.0 at most.
    rating = other.run(f"systemd-analyze security --no-pager --threshold=30 {unit}.service")
    assert rating.rc == 0, rating.stdout[-3000:]
    print(rating.stdout.strip().splitlines()[-1])  # the figure, in the verifier's output


def test_redis_answers_on_the_network_only_with_its_password(host: Host) -> None:
    probe = (
        "import socket; s = socket.create_connection(('shield-p-redis', 6379), 5); "
        "s.sendall(b'PING\\r\\n'); print(s.recv(200).decode())"
    )
    answer = host.check_output(f'python3 -c "{probe}"')
    assert answer.startswith("-NOAUTH"), answer


def test_prometheus_scrapes_every_service_across_the_network(host: Host) -> None:
    """Prometheus on the monitoring host, configured from the inventory, reaches each service
    with its token and each host's node exporter; Shield's rules evaluate."""
    monitor = host.get_host("podman://shield-p-monitor")

    def api(path: str) -> Any:
        answer = monitor.check_output(f"curl -fsS http://127.0.0.1:9090/api/v1/{path}")
        return json.loads(answer)["data"]

    expected = {
        ("shield-api", "shield-p-api:8080"),
        ("shield-worker", "shield-p-worker:9111"),
        ("shield-mcp", "shield-p-mcp:8000"),
        ("shield-lightrag", "shield-p-graph:8090"),
        ("prometheus", "127.0.0.1:9090"),
        ("alertmanager", "127.0.0.1:9093"),  # beside Prometheus, on loopback
    } | {
        ("node", f"shield-p-{name}:9100")
        for name in ("redis", "graph", "api", "worker", "mcp", "monitor")
    }
    health: dict[tuple[str, str], str] = {}
    for _ in range(60):  # a scrape every 15 s
        targets = api("targets")["activeTargets"]
        health = {(t["labels"]["job"], t["labels"]["instance"]): t["health"] for t in targets}
        if set(health) == expected and set(health.values()) == {"up"}:
            break
        time.sleep(1)
    assert set(health) == expected
    assert {target: state for target, state in health.items() if state != "up"} == {}
    rules = [rule for group in api("rules")["groups"] for rule in group["rules"]]
    assert rules
    assert all(rule["health"] == "ok" for rule in rules)
    # A job of its own (the test does not rely on another test's ingest having run first),
    # counted by the worker and scraped across the network within a scrape or two.
    headers = f"-H 'Authorization: Bearer {given_api_token()}' -H 'content-type: application/json'"
    body = json.dumps({"kind": "document", "text": "Gauges count jobs.", "source": "metrics.md"})
    accepted = json.loads(
        host.check_output(f"curl -fsS {headers} http://127.0.0.1:8080/ingest-async -d '{body}'")
    )
    for _ in range(120):
        state = json.loads(
            host.check_output(f"curl -fsS {headers} http://127.0.0.1:8080{accepted['status_url']}")
        )
        if state["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.5)
    assert state["status"] == "succeeded", state
    query = "query?query=" + quote(
        'sum(shield_jobs_total{job="shield-worker", status="succeeded"})'
    )
    served: list[Any] = []
    for _ in range(60):
        served = api(query)["result"]
        if served and float(served[0]["value"][1]) >= 1:
            break
        time.sleep(1)
    assert served
    assert float(served[0]["value"][1]) >= 1
