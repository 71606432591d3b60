"""shield-lightrag killed (-9) while a job is in its graph stage: the job still ends, the
document is stored and searchable, and only its graph stage says it failed and why. shield-lightrag
comes back on the same data, the next documents reach the graph again, and the one that missed
it gets there by being ingested again, unchanged. Prints the time to recover."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from shield.embeddings.local import LocalEmbedder
from support.bigdoc import big_document
from support.processes import RedisServer, free_port
from support.services import (
    ApiServer,
    GraphProcess,
    WorkerProcess,
    api_settings,
    wait_job,
    wait_stage,
    worker_env,
)

COLLECTION = "chaos-graph"
MANUAL = big_document(100, seed=7)  # long enough that its graph stage lasts several seconds
LATE_NOTE = "Ilse Marrow repairs the lighthouse lamp at Quillhaven every winter."


def _submit(client: object, source: str, text: str) -> str:
    body = {"kind": "document", "text": text, "source": source, "collection": COLLECTION}
    response = client.post("/ingest-async", json=body)  # type: ignore[attr-defined]
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def test_a_graph_killed_mid_stage_fails_that_stage_alone_and_recovers(
    redis_server: RedisServer, embedder: LocalEmbedder, tmp_path: Path
) -> None:
    redis_server.client().flushall()
    port = free_port()
    graph_data = tmp_path / "graph"
    graph_data.mkdir()
    graph = GraphProcess(graph_data, tmp_path / "graph.log", port=port)
    settings = api_settings(
        redis_server.url, tmp_path / "data", lightrag_url=graph.url, lightrag_token=graph.token
    )
    api = ApiServer(settings, embedder)
    env = {
        **worker_env(api),
        "SHIELD_LIGHTRAG_URL": graph.url,
        "SHIELD_LIGHTRAG_TOKEN": graph.token,
    }
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        worker.wait_ready(redis_server.url)
        with api.client() as client:
            job = _submit(client, "manual.md", MANUAL)
            wait_stage(client, job, "graph", timeout=120)
            os.killpg(graph.process.pid, signal.SIGKILL)
            graph.process.wait(10)

            state = wait_job(client, job, timeout=180)
            assert state["status"] == "succeeded", (state, worker.log()[-3000:])
            [item] = state["result"]["documents"]
            assert item["status"] == "stored"
            assert item["graph"] == "failed"
            assert "shield-lightrag" in item["graph_error"], item
            hits = client.post(
                "/search", json={"query": "reactor valve pressure", "collection": COLLECTION}
            ).json()["results"]
            assert hits[0]["source"] == "manual.md"  # vector search never needed the graph

            graph.stop()
            graph = GraphProcess(graph_data, tmp_path / "graph-again.log", port=port)
            back = time.monotonic()
            late = wait_job(client, _submit(client, "late.md", LATE_NOTE), timeout=120)
            recovered = time.monotonic() - back
            assert late["result"]["documents"][0]["graph"] == "stored", late
            answer = client.post(
                "/lightrag/query",
                json={"query": "Who repairs the lighthouse lamp?", "collection": COLLECTION},
            )
            assert answer.status_code == 200, answer.text
            assert "Ilse Marrow" in answer.json()["answer"]

            # The document that missed the graph gets there when it is ingested again, unchanged.
            again = wait_job(client, _submit(client, "manual.md", MANUAL), timeout=180)
            [repaired] = again["result"]["documents"]
            assert (repaired["status"], repaired["graph"]) == ("stored", "stored"), repaired
            assert repaired["chunks"] == item["chunks"]
            collections = client.get("/collections").json()["collections"]
            [stored] = [c for c in collections if c["name"] == COLLECTION]
            assert stored["points"] == item["chunks"] + 1  # the manual's chunks and the note, once
    finally:
        worker.stop()
        api.stop()
        graph.stop()
    print(f"shield-lightrag killed mid-stage: documents reach the graph {recovered:.1f} s after")
