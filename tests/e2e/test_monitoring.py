"""The live proof of the monitoring assets.

shield-api, a worker, shield-mcp and shield-lightrag run as their own processes, with Debian's
node exporter; Debian's Prometheus scrapes them every second with Shield's rule files loaded.
Traffic goes through them, failures included: invalid input, damaged uploads (the callers'
mistakes, which must fire no alert), calls refused at the concurrency limit, shield-lightrag
stopped until shield-api's circuit to it opens, shield-api stopped until
shield-mcp's circuit opens and started again until it closes. Then every dashboard query and
variable must return data, every rule must evaluate cleanly, and every metric name the assets
read must be one the services really export. The dashboards are drawn from this Prometheus
(into docs/monitoring/ with SHIELD_UPDATE_PICTURES=1, `make monitoring-pictures`).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession

from monitoring.generate import catalogue, pictures
from support.mcp import MCP_TOKEN, McpProcess, structured, with_session
from support.processes import RedisServer
from support.promstack import NodeExporter, Prometheus, ScrapeJob
from support.services import TOKEN, ApiProcess, GraphProcess, WorkerProcess, wait_job
from support.sites import Site, page

PICTURES_DIR = catalogue.ROOT / "docs" / "monitoring"


BAD_UPLOADS = 20


@dataclass
class Live:
    prometheus: Prometheus
    started: float
    finished: float


async def _traffic(session: ClientSession) -> None:
    """The happy paths of every kind of tool, invalid input, and a burst past the limit."""
    for index in range(3):
        structured(
            await session.call_tool(
                "qdrant_store",
                {"text": f"The lighthouse keeper logs the weather, entry {index}."},
            )
        )
    job = structured(
        await session.call_tool(
            "ingest_doc",
            {
                "text": "# Harbour\n\nThe harbour master Ingrid Olsen opens the gates at dawn.",
                "source": "harbour.md",
            },
        )
    )
    deadline = time.monotonic() + 120
    while True:
        state = structured(await session.call_tool("get_job_status", {"job_id": job["job_id"]}))
        if state["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() < deadline, state
        await asyncio.sleep(0.2)
    assert state["status"] == "succeeded", state
    # The burn-rate alerts fire only on enough traffic (100 calls in their long window): a
    # steady stream of cheap calls, so that the errors below are a share of real traffic.
    for _ in range(120):
        structured(await session.call_tool("get_job_status", {"job_id": job["job_id"]}))
    for _ in range(5):
        structured(await session.call_tool("qdrant_find", {"query": "who opens the gates"}))
    structured(await session.call_tool("lightrag_query", {"query": "who is the harbour master"}))
    invalid = await session.call_tool("crawl_web", {"url": "ftp://example.com/"})
    assert invalid.is_error
    # The server takes one call at a time: a burst is partly refused.
    burst = await asyncio.gather(
        *(session.call_tool("qdrant_find", {"query": "weather"}) for _ in range(12))
    )
    assert any(result.is_error for result in burst)


async def _calls_while_api_is_down(session: ClientSession) -> list[str]:
    messages = []
    # Spread over a few scrapes, and at least the 10 errors a burn-rate alert needs.
    for _ in range(12):
        result = await session.call_tool("qdrant_find", {"query": "weather"})
        assert result.is_error
        messages.append(result.content[0].text)
        await asyncio.sleep(0.25)
    return messages


@pytest.fixture(scope="module")
def live(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    redis_server.client().flushall()
    tmp = tmp_path_factory.mktemp("monitoring")
    tokens = {"api": TOKEN, "mcp": MCP_TOKEN, "lightrag": GraphProcess.token}
    for name, token in tokens.items():
        (tmp / f"{name}-token").write_text(token)

    graph = GraphProcess(tmp / "graph-data", tmp / "graph.log")
    wiring = {
        "SHIELD_REDIS_URL": redis_server.url,
        "SHIELD_API_TOKEN": TOKEN,
        "SHIELD_LIGHTRAG_URL": graph.url,
        "SHIELD_LIGHTRAG_TOKEN": graph.token,
        "SHIELD_JOB_HEARTBEAT_SECONDS": "3",
        "SHIELD_LOG_LEVEL": "WARNING",
    }
    api = ApiProcess({**wiring, "SHIELD_DATA_DIR": str(tmp / "api-data")}, tmp / "api.log")
    worker = WorkerProcess(
        {
            **wiring,
            "SHIELD_API_URL": api.url,
            "SHIELD_DATA_DIR": str(tmp / "worker-data"),
            "SHIELD_CRAWL_ALLOWLIST": "127.0.0.1",  # the source's site below
        },
        tmp / "worker.log",
    )
    site = Site()
    site.html("/", page("Harbour notes", "The harbour master keeps the tide table.", []))
    worker.wait_ready(redis_server.url)
    mcp = McpProcess(
        api,
        tmp / "mcp.log",
        SHIELD_MAX_CONCURRENT_CALLS="1",
        SHIELD_API_BREAKER_RECOVERY_SECONDS="2",
        SHIELD_API_TIMEOUT="5",
    )
    node = NodeExporter(tmp / "node.log")
    prometheus = Prometheus(
        tmp,
        [
            ScrapeJob("shield-api", f"127.0.0.1:{api.port}", tmp / "api-token"),
            ScrapeJob("shield-worker", f"127.0.0.1:{worker.metrics_port}", tmp / "api-token"),
            ScrapeJob("shield-mcp", f"127.0.0.1:{mcp.port}", tmp / "mcp-token"),
            ScrapeJob("shield-lightrag", f"127.0.0.1:{graph.port}", tmp / "lightrag-token"),
            ScrapeJob("node", node.address),
        ],
        catalogue.rule_files(),
    )
    try:
        started = time.time()
        expected_jobs = {"shield-api", "shield-worker", "shield-mcp", "shield-lightrag", "node"}
        deadline = time.monotonic() + 60
        while {job for job, up in prometheus.targets_up().items() if up} != expected_jobs:
            assert time.monotonic() < deadline, prometheus.targets_up()
            time.sleep(0.5)

        with_session(mcp.url, MCP_TOKEN, _traffic)
        with api.client() as client, api.client(token=None) as anonymous:
            # Callers' mistakes on a healthy platform: damaged uploads, each failing its job.
            damaged = [
                client.post(
                    "/ingest-async/upload",
                    files={"file": (f"damaged-{n}.pdf", b"%PDF-1.7\n" + bytes([n]) * 2000)},
                ).json()["job_id"]
                for n in range(BAD_UPLOADS)
            ]
            for job_id in damaged:
                failed = wait_job(client, job_id)
                assert (failed["status"], failed["error"]["cause"]) == ("failed", "input"), failed
            # A source kept in sync, on a schedule: the sources' panels and their alert.
            source = client.post("/sources", json={"kind": "web", "url": site.url, "every": "1h"})
            synced = client.post(f"/sources/{source.json()['source_id']}/sync").json()
            assert wait_job(client, synced["job_id"])["status"] == "succeeded"
            assert client.get("/documents/no-such-document").status_code == 404
            assert client.post("/search", json={"query": ""}).status_code == 422
            assert anonymous.get("/documents").status_code == 401
        time.sleep(2.5)  # scraped before they stop
        graph.stop()
        api.stop()
        errors = with_session(mcp.url, MCP_TOKEN, _calls_while_api_is_down)
        assert "circuit open" in errors[-1], errors
        time.sleep(1.5)  # a scrape sees the open circuit
        api.start()
        time.sleep(2.5)  # the breaker's recovery time

        async def recovered(session: ClientSession) -> None:
            for _ in range(3):
                structured(await session.call_tool("qdrant_find", {"query": "weather"}))

        with_session(mcp.url, MCP_TOKEN, recovered)
        with api.client() as client:  # the graph is down: shield-api's circuit to it opens
            answers = [
                client.post("/lightrag/query", json={"query": "harbour"}).status_code
                for _ in range(6)
            ]
        assert set(answers) == {503}, answers
        time.sleep(4)  # the last scrapes and rule evaluations
        yield Live(prometheus, started, time.time())
    finally:
        for part in (prometheus, node, mcp, worker, api, graph, site):
            part.stop()


def _has_a_number(results: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(result["value"][1])) for result in results)


def test_every_dashboard_query_returns_data(live: Live) -> None:
    empty = []
    for query in catalogue.panel_queries():
        if not _has_a_number(live.prometheus.query(query.resolved)):
            # What Prometheus holds of each metric read, to tell a typo from missing traffic.
            held = {
                name: len(live.prometheus.query(f"{name}[10m]"))
                for name in catalogue.metric_names(query.resolved)
            }
            empty.append(f"{query.dashboard} / {query.panel}: {query.resolved} (series: {held})")
    assert not empty, "\n".join(empty)


def test_every_dashboard_variable_has_values(live: Live) -> None:
    for query in catalogue.variable_queries():
        assert live.prometheus.query(query.resolved), f"{query.dashboard} {query.panel}"


def _subject(labels: dict[str, str]) -> str:
    return labels.get("breaker") or labels.get("slo") or labels.get("job") or ""


def test_every_rule_evaluates_and_alerts_see_the_faults(live: Live) -> None:
    groups = live.prometheus.api("rules")["groups"]
    loaded = {rule["name"] for group in groups for rule in group["rules"]}
    expected = {rule.get("alert") or rule["record"] for rule in catalogue.rules()}
    assert expected <= loaded
    for group in groups:
        for rule in group["rules"]:
            assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))
    alerts = {
        (alert["labels"]["alertname"], _subject(alert["labels"]))
        for alert in live.prometheus.api("alerts")["alerts"]
    }
    # Pending (their `for` has not run out) or firing (no `for`): the rules see each fault.
    for alert in (
        ("ShieldCircuitBreakerOpen", "lightrag"),  # shield-api's circuit to the stopped graph
        ("ShieldTargetDown", "shield-lightrag"),
        ("ShieldMcpErrorRatioHigh", ""),  # the calls while shield-api was down
        ("ShieldMcpCallsRejected", ""),
        ("ShieldErrorBudgetBurnFast", "mcp-availability"),
    ):
        assert alert in alerts, alerts
    # The damaged uploads were the callers' mistakes: no alert about ingestion, not even pending.
    ingestion = {
        alert["labels"]["alertname"]
        for alert in live.prometheus.api("alerts")["alerts"]
        if alert["labels"].get("slo", "").startswith("ingestion")
        or alert["labels"]["alertname"] == "ShieldJobFailureRatioHigh"
    }
    assert not ingestion, ingestion
    failed = 'sum(shield_jobs_total{status="failed", cause="input"})'
    assert float(live.prometheus.query(failed)[0]["value"][1]) >= BAD_UPLOADS
    # shield-mcp's circuit to shield-api opened, and closed again once shield-api returned.
    mcp_circuit = 'shield_circuit_breaker_state{service="mcp", breaker="api"}'
    assert (
        live.prometheus.query(f"max_over_time(({mcp_circuit} == 1)[10m:1s])")[0]["value"][1] == "1"
    )
    assert live.prometheus.query(mcp_circuit)[0]["value"][1] == "0"
    recorded = live.prometheus.query('slo:sli_error:ratio_rate5m{slo="mcp-availability"}')
    assert 0 < float(recorded[0]["value"][1]) < 1, recorded


def test_every_metric_name_the_assets_read_is_exported(live: Live) -> None:
    exported = set(live.prometheus.api("label/__name__/values"))
    names = set()
    for rule in catalogue.rules():
        names |= catalogue.metric_names(str(rule["expr"]))
    for query in catalogue.panel_queries() + catalogue.variable_queries():
        names |= catalogue.metric_names(query.resolved)
    assert names - exported == set()


def test_dashboards_render_from_live_data(live: Live, tmp_path: Path) -> None:
    target = PICTURES_DIR if os.environ.get("SHIELD_UPDATE_PICTURES") == "1" else tmp_path
    start, end = live.started, live.finished
    step = max(1.0, (end - start) / 200)

    def fetch(expr: str) -> list[dict[str, Any]]:
        # A short rate window shows the faults as they happened, not smoothed over 5 minutes.
        resolved = catalogue.resolve(expr, rate_interval="5s", range_=f"{round(end - start)}s")
        return live.prometheus.query_range(resolved, start, end, step)

    for uid, board in catalogue.dashboards().items():
        path = target / f"{uid}.png"
        pictures.render(board, fetch, path)
        assert path.stat().st_size > 20_000, path
