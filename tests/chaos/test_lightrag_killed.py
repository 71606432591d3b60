"""shield-lightrag, shield-api (whose graph feeder sends the batches), then Redis (which holds
the backlog), killed (-9) in the middle of a batch: the document was searchable all along, its
entry stays in the backlog, and once the process is back the graph takes it in by itself, once,
with nobody ingesting it again. Prints the time to recover."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx

from shield.embeddings.local import LocalEmbedder
from shield.graph.backlog import WAITING
from shield.resilience import (
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_RECOVERY_TIMEOUT,
    configure_breakers,
)
from support.bigdoc import big_document
from support.processes import RedisServer, free_port, wait_for
from support.services import (
    ApiProcess,
    ApiServer,
    GraphProcess,
    WorkerProcess,
    api_settings,
    process_env,
    wait_graph,
    wait_job,
    worker_env,
)

COLLECTION = "chaos-graph"
MANUAL = big_document(100, seed=7)  # long enough that the graph takes several seconds over it


def ingest_until_the_graph_starts(
    client: httpx.Client, worker: WorkerProcess, graph: GraphProcess
) -> str:
    """Ingest the manual; returns its id once the graph has started on it (LightRAG journals a
    document's chunks first, and says so in its log)."""
    body = {"kind": "document", "text": MANUAL, "source": "manual.md"}
    job = client.post(
        "/ingest-async", json={**body, "collection": COLLECTION, "create_collection": True}
    )
    state = wait_job(client, job.json()["job_id"], timeout=180)
    assert state["status"] == "succeeded", (state, worker.log()[-3000:])
    doc_id = str(state["result"]["documents"][0]["document_id"])
    wait_for(lambda: doc_id in graph.log(), 60, "the graph to start on the document")
    return doc_id


def assert_held_once(client: httpx.Client) -> None:
    answer = client.post(
        "/lightrag/query",
        json={"query": "reactor valve pressure", "collection": COLLECTION, "mode": "naive"},
    ).json()
    contents = [c["content"] for c in answer["chunks"]]
    assert contents, answer
    assert len(contents) == len(set(contents))  # each chunk once: nothing held twice


def graph_api(
    redis_url: str, graph: GraphProcess, embedder: LocalEmbedder, data: Path, **settings: Any
) -> ApiServer:
    """shield-api in this process, its graph feeder quick to send batches to `graph`."""
    return ApiServer(
        api_settings(
            redis_url,
            data,
            lightrag_url=graph.url,
            lightrag_token=graph.token,
            graph_idle_seconds=0.5,
            **settings,
        ),
        embedder,
    )


def test_a_graph_killed_mid_batch_takes_the_document_in_once_when_back(
    redis_server: RedisServer, embedder: LocalEmbedder, tmp_path: Path
) -> None:
    redis_server.client().flushall()
    port = free_port()
    graph_data = tmp_path / "graph"
    graph_data.mkdir()
    graph = GraphProcess(graph_data, tmp_path / "graph.log", port=port)
    api = graph_api(redis_server.url, graph, embedder, tmp_path / "data")
    worker = WorkerProcess(worker_env(api), tmp_path / "worker.log")
    try:
        worker.wait_ready(redis_server.url)
        with api.client() as client:
            doc_id = ingest_until_the_graph_starts(client, worker, graph)
            os.killpg(graph.process.pid, signal.SIGKILL)
            graph.process.wait(10)

            hits = client.post(
                "/search", json={"query": "reactor valve pressure", "collection": COLLECTION}
            ).json()["results"]
            assert hits[0]["source"] == "manual.md"  # vector search never needed the graph
            waiting = client.get(f"/documents/{doc_id}", params={"collection": COLLECTION})
            assert waiting.json()["graph"] == "pending", waiting.json()

            graph.stop()
            graph = GraphProcess(graph_data, tmp_path / "graph-again.log", port=port)
            back = time.monotonic()
            document = wait_graph(client, COLLECTION, doc_id, timeout=180)
            recovered = time.monotonic() - back
            assert document["graph"] == "stored", document
            with graph.client() as lightrag:
                held = lightrag.get(f"/collections/{COLLECTION}/documents/{doc_id}")
                assert held.status_code == 200, held.text
            assert_held_once(client)
    finally:
        worker.stop()
        api.stop()
        graph.stop()
    print(f"shield-lightrag killed mid-batch: the document is in the graph {recovered:.1f} s after")


def test_shield_api_killed_mid_batch_sends_it_again_when_back(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    redis_server.client().flushall()
    graph = GraphProcess(tmp_path / "graph", tmp_path / "graph.log")
    env = process_env(
        redis_server.url,
        tmp_path / "data",
        SHIELD_LIGHTRAG_URL=graph.url,
        SHIELD_LIGHTRAG_TOKEN=graph.token,
        SHIELD_GRAPH_IDLE_SECONDS="0.5",
    )
    api = ApiProcess(env, tmp_path / "api.log")
    worker = WorkerProcess(
        {**process_env(redis_server.url, tmp_path / "worker"), "SHIELD_API_URL": api.url},
        tmp_path / "worker.log",
    )
    try:
        worker.wait_ready(redis_server.url)
        with api.client() as client:
            doc_id = ingest_until_the_graph_starts(client, worker, graph)
        assert api.process is not None
        os.killpg(api.process.pid, signal.SIGKILL)
        api.process.wait(10)

        api.start()  # on the same data and Redis: the backlog still holds the document
        back = time.monotonic()
        with api.client() as client:
            document = wait_graph(client, COLLECTION, doc_id, timeout=180)
            recovered = time.monotonic() - back
            assert document["graph"] == "stored", document
            assert_held_once(client)  # sent twice
    finally:
        worker.stop()
        api.stop()
        graph.stop()
    print(f"shield-api killed mid-batch: the document is in the graph {recovered:.1f} s after")


def test_redis_killed_mid_batch_keeps_the_backlog(embedder: LocalEmbedder, tmp_path: Path) -> None:
    (tmp_path / "redis").mkdir()
    redis = RedisServer(tmp_path / "redis")
    graph = GraphProcess(tmp_path / "graph", tmp_path / "graph.log")
    # shield-api runs in this process: its breakers recover in seconds, as a short
    # SHIELD_BREAKER_RECOVERY_SECONDS would make them.
    configure_breakers(DEFAULT_FAILURE_THRESHOLD, 2.0)
    try:
        api = graph_api(redis.url, graph, embedder, tmp_path / "data", redis_timeout=0.5)
    finally:
        configure_breakers(DEFAULT_FAILURE_THRESHOLD, DEFAULT_RECOVERY_TIMEOUT)
    worker = WorkerProcess(worker_env(api), tmp_path / "worker.log")
    try:
        worker.wait_ready(redis.url)
        with api.client() as client:
            doc_id = ingest_until_the_graph_starts(client, worker, graph)
            redis.kill()  # the graph finishes its batch while the backlog cannot be settled
            time.sleep(3)
            redis.start()
            back = time.monotonic()
            document = wait_graph(client, COLLECTION, doc_id, timeout=180)
            recovered = time.monotonic() - back
            assert document["graph"] == "stored", document
            assert_held_once(client)
            assert redis.client().zcard(WAITING) == 0  # settled, nothing left waiting
    finally:
        worker.stop()
        api.stop()
        graph.stop()
        redis.stop()
    print(f"Redis killed mid-batch: the document is in the graph {recovered:.1f} s after")
