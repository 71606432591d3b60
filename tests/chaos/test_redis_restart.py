"""Redis restarted, or killed with SIGKILL and started again, while ingest jobs run and a client
keeps asking: every job still ends (none lost, none stuck `running`), every document holds exactly
the chunks of one complete run, and shield-api's Redis breaker opens during the outage and closes
after it. Prints the time to recover.

A killed Redis gets no chance to flush: the jobs survive because Redis writes each command to its
append-only file before it answers, so what a client was told is stored is in the file (an
`appendfsync` of `everysec` bounds only what a crash of the whole host can take)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shield.embeddings.local import LocalEmbedder
from shield.resilience import (
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_RECOVERY_TIMEOUT,
    configure_breakers,
)
from support.bigdoc import big_document
from support.metrics import sample
from support.processes import RedisServer
from support.services import (
    ApiServer,
    WorkerProcess,
    api_settings,
    wait_job,
    wait_stage,
    worker_env,
)

JOBS = 3
OUTAGE_SECONDS = 3.0
RECOVERY_SECONDS = 5.0  # the breakers' (60 s by default)


@pytest.fixture
def platform(
    tmp_path: Path, embedder: LocalEmbedder
) -> Iterator[tuple[RedisServer, ApiServer, WorkerProcess]]:
    (tmp_path / "redis").mkdir()
    redis = RedisServer(tmp_path / "redis")
    # shield-api runs in this process: its breakers take the recovery time set here, as the
    # service's own SHIELD_BREAKER_RECOVERY_SECONDS would set it.
    configure_breakers(DEFAULT_FAILURE_THRESHOLD, RECOVERY_SECONDS)
    try:
        api = ApiServer(api_settings(redis.url, tmp_path / "data", redis_timeout=0.5), embedder)
    finally:
        configure_breakers(DEFAULT_FAILURE_THRESHOLD, DEFAULT_RECOVERY_TIMEOUT)
    worker = WorkerProcess(worker_env(api), tmp_path / "worker.log")
    worker.wait_ready(redis.url)
    yield redis, api, worker
    worker.stop()
    api.stop()
    redis.stop()


@pytest.mark.parametrize("how", ["restart", "kill -9"])
def test_jobs_survive_a_redis_restart(
    platform: tuple[RedisServer, ApiServer, WorkerProcess], how: str
) -> None:
    redis, api, worker = platform
    answers: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:  # a client polling the job list throughout
        with api.client() as client:
            while not stop.is_set():
                try:
                    answers.append(client.get("/jobs", timeout=5).status_code)
                except httpx.HTTPError:
                    answers.append(0)
                time.sleep(0.05)

    with api.client() as client:
        jobs = []
        for i in range(JOBS):
            body = {
                "kind": "document",
                "text": big_document(200, seed=10 + i),
                "source": f"r{i}.md",
            }
            response = client.post("/ingest-async", json=body)
            assert response.status_code == 202, response.text
            jobs.append(response.json()["job_id"])
        asker = threading.Thread(target=keep_asking, daemon=True)
        asker.start()
        wait_stage(client, jobs[0], "embedding")

        if how == "restart":
            redis.stop()
        else:
            redis.kill()
        time.sleep(OUTAGE_SECONDS)
        redis.start()
        back = time.monotonic()

        states = [wait_job(client, job, timeout=240) for job in jobs]
        recovered = time.monotonic() - back
        stop.set()
        asker.join(10)
        served_again = client.get("/jobs").status_code

        assert [s["status"] for s in states] == ["succeeded"] * JOBS, (
            [(s["status"], s["error"]) for s in states],
            worker.log()[-3000:],
        )
        for state in states:
            [item] = state["result"]["documents"]
            doc = client.get(f"/documents/{item['document_id']}").json()
            assert doc["chunks"] == item["chunks"]  # no chunk twice, none missing

        metrics = client.get("/metrics").text
    assert 503 in answers, "the outage never showed"  # the client was told, not hung
    assert 0 not in answers  # no request hung past its timeout or lost its connection
    assert 200 in answers[answers.index(503) :], "the polling client was never served again"
    assert served_again == 200
    opened = sample(metrics, "shield_circuit_breaker_opened_total", service="api", breaker="redis")
    assert opened >= 1
    assert sample(metrics, "shield_circuit_breaker_state", service="api", breaker="redis") == 0
    print(f"redis {how}: every job done {recovered:.1f} s after Redis came back")
