"""The embedding server turns slow, then slower than the timeout, then fast again, while jobs
run and clients search: slow work still finishes; too slow, an accepted job waits (saying it
waits for the embedder, never failed for it) and searches answer 503 with Retry-After at once,
not after the timeout; once the server is fast again the breakers close by themselves, the
waiting job finishes, and the same document ingested again has no chunk twice. Prints the time
to recover."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.fakes.embedding_server import FakeEmbeddingServer
from support.metrics import sample
from support.processes import RedisServer, wait_for
from support.services import ApiProcess, WorkerProcess, process_env, wait_job

TIMEOUT = 1.0
RECOVERY = 3.0


@pytest.fixture
def embedding_server() -> Iterator[FakeEmbeddingServer]:
    server = FakeEmbeddingServer()
    yield server
    server.stop()


def _ingest(client: httpx.Client, source: str) -> str:
    text = f"# {source}\nThe {source} pump is checked weekly by the night shift."
    body = {"kind": "document", "text": text, "source": source}
    response = client.post("/ingest-async", json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def test_a_slow_embedder_slows_fails_fast_and_recovers(
    redis_server: RedisServer, embedding_server: FakeEmbeddingServer, tmp_path: Path
) -> None:
    redis_server.client().flushall()
    env = process_env(
        redis_server.url,
        tmp_path / "data",
        log_level="INFO",
        SHIELD_EMBEDDING_PROVIDER="ollama",
        SHIELD_EMBEDDING_URL=embedding_server.url,
        SHIELD_EMBEDDING_MODEL="fake-embed",
        SHIELD_EMBEDDING_TIMEOUT=str(TIMEOUT),
        SHIELD_BREAKER_FAILURES="3",
        SHIELD_BREAKER_RECOVERY_SECONDS=str(RECOVERY),
        SHIELD_JOB_HEARTBEAT_SECONDS="3",
        SHIELD_JOB_RETRIES="1",
    )
    api = ApiProcess(env, tmp_path / "api.log")
    worker = WorkerProcess({**env, "SHIELD_API_URL": api.url}, tmp_path / "worker.log")
    try:
        worker.wait_ready(redis_server.url)
        with api.client() as client:
            embedding_server.delay = TIMEOUT / 3  # slow, but within the timeout
            slow = wait_job(client, _ingest(client, "boiler"), timeout=120)
            assert slow["status"] == "succeeded", slow
            assert client.post("/search", json={"query": "pump"}).status_code == 200

            embedding_server.delay = TIMEOUT * 3  # slower than the timeout
            waiting_id = _ingest(client, "chiller")

            def waits_for_the_embedder() -> bool:
                state = client.get(f"/jobs/{waiting_id}").json()
                assert state["status"] in ("queued", "running"), state  # accepted: not failed
                return (state.get("waiting_for") or {}).get("service") == "embedder"

            wait_for(waits_for_the_embedder, 60, "the job to say it waits for the embedder")
            # New queries each time: shield-api caches the vectors of queries it has seen.
            for i in range(3):  # the API's own breaker to the embedder opens...
                client.post("/search", json={"query": f"pump number {i}"})
            started = time.monotonic()
            refused = client.post("/search", json={"query": "which pump leaks"})
            assert refused.status_code == 503, refused.text  # ...and then refuses at once
            assert time.monotonic() - started < TIMEOUT
            assert int(refused.headers["Retry-After"]) >= 1

            embedding_server.delay = 0.0
            back = time.monotonic()
            wait_for(
                lambda: client.post("/search", json={"query": "pump schedule"}).status_code == 200,
                RECOVERY * 4,
                "search to work again",
            )
            searching = time.monotonic() - back
            waited = wait_job(client, waiting_id, timeout=120)  # its backoff is at most 60 s
            assert waited["status"] == "succeeded", waited
            assert waited["waiting_for"] is None, waited
            again = wait_job(client, _ingest(client, "chiller"), timeout=120)
            assert again["status"] == "succeeded", again
            [item] = again["result"]["documents"]
            doc = client.get(f"/documents/{item['document_id']}").json()
            assert doc["chunks"] == item["chunks"]  # no chunk twice after the waits
            metrics = client.get("/metrics").text
        assert (
            sample(metrics, "shield_circuit_breaker_state", service="api", breaker="embedder") == 0
        )
        assert (
            sample(
                metrics, "shield_circuit_breaker_opened_total", service="api", breaker="embedder"
            )
            >= 1
        )
    finally:
        worker.stop()
        api.stop()
    print(
        f"slow embedder: searches answer again {searching:.1f} s after the embedder recovered "
        f"(breaker recovery {RECOVERY:.0f} s)"
    )
