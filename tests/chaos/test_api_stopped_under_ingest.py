"""Accepted means done: shield-api stopped for 40 s (four times the workers' breaker window) in
the middle of 30 ingests. The jobs it accepted wait for it (the running ones say so in
`waiting_for`) instead of failing, and once it is back all 30 succeed, each document stored
once. Prints how long the last job took to finish after shield-api returned. (At 90 s and 50
ingests the outcome is the same: docs/guides/ASYNC_JOB_PATTERN.md.)"""

from __future__ import annotations

import time
from pathlib import Path

from shield.jobs.store import JobStore
from support.processes import RedisServer, wait_for
from support.services import ApiProcess, WorkerProcess, process_env, wait_job

DOCUMENTS = 30
OUTAGE_SECONDS = 40
BREAKER_RECOVERY = 10  # the workers' breaker to shield-api: how soon they look again


def _text(index: int) -> str:
    paragraphs = [
        f"Locker {index} of the harbour store holds spare valves, gaskets and a pump seal. "
        f"Its inventory, number {index}-{part}, is checked every Monday by the night shift."
        for part in range(40)
    ]
    return f"# Locker {index}\n\n" + "\n\n".join(paragraphs)


def test_jobs_wait_for_a_stopped_api_and_all_succeed(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    redis = redis_server.client()
    redis.flushall()
    env = process_env(redis_server.url, tmp_path / "data", log_level="INFO")
    api = ApiProcess(env, tmp_path / "api.log")
    worker_env = {
        **env,
        "SHIELD_API_URL": api.url,
        "SHIELD_API_BREAKER_FAILURES": "3",
        "SHIELD_API_BREAKER_RECOVERY_SECONDS": str(BREAKER_RECOVERY),
    }
    workers = [WorkerProcess(worker_env, tmp_path / f"worker-{i}.log") for i in range(2)]
    store = JobStore(redis, 3600)
    try:
        for worker in workers:
            worker.wait_ready(redis_server.url)
        with api.client() as client:
            job_ids = []
            for index in range(DOCUMENTS):
                body = {"kind": "document", "text": _text(index), "source": f"locker-{index}.md"}
                response = client.post("/ingest-async", json=body)
                assert response.status_code == 202, response.text
                job_ids.append(response.json()["job_id"])

        def done() -> int:
            states = [store.get(job_id) for job_id in job_ids]
            return sum(1 for s in states if s is not None and s.status.value == "succeeded")

        wait_for(lambda: done() >= 5, 120, "the first ingests to finish")
        api.stop()
        stopped = time.monotonic()
        finished_before = done()
        assert finished_before < DOCUMENTS, "the outage must fall in the middle of the ingests"

        def waiting() -> set[str]:
            states = [store.get(job_id) for job_id in job_ids]
            return {s.waiting_for.service for s in states if s is not None and s.waiting_for}

        wait_for(lambda: "api" in waiting(), 60, "a job to say it waits for shield-api")
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
        for job_id in job_ids:  # accepted, so not failed: queued, running or done
            state = store.get(job_id)
            assert state is not None, job_id
            assert state.status.value != "failed", state
        api.start()
        back = time.monotonic()
        with api.client() as client:
            finals = [wait_job(client, job_id, timeout=180) for job_id in job_ids]
            recovered = time.monotonic() - back
            assert [s["status"] for s in finals] == ["succeeded"] * DOCUMENTS, [
                (s["job_id"], s["status"], s["error"]) for s in finals if s["status"] != "succeeded"
            ]
            assert all(s["waiting_for"] is None for s in finals)
            for state in finals:  # each document once, with the chunks its job stored
                [item] = state["result"]["documents"]
                document = client.get(f"/documents/{item['document_id']}").json()
                assert document["chunks"] == item["chunks"] > 0, (document, item)
            listed = client.get("/documents").json()["documents"]
            assert len(listed) == DOCUMENTS
    finally:
        for worker in workers:
            worker.stop()
        api.stop()
    print(
        f"shield-api stopped {OUTAGE_SECONDS} s during {DOCUMENTS} ingests "
        f"({finished_before} done before): all succeeded, the last {recovered:.0f} s after it "
        f"returned (the workers' breaker looks again every {BREAKER_RECOVERY} s)"
    )
