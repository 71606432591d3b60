"""A worker killed (-9) in the middle of a job: the job is retried and finished by another
worker, never left `running`. This module runs no other worker, so the job surely goes to the
one that is killed."""

from __future__ import annotations

import json
from pathlib import Path

from redis import Redis

from support.bigdoc import big_document
from support.services import ApiServer, WorkerProcess, submit, wait_job, wait_stage, worker_env


def test_killed_worker_job_is_retried_by_another(api: ApiServer, tmp_path: Path) -> None:
    victim = WorkerProcess(worker_env(api), tmp_path / "victim.log")
    victim.wait_ready(api.settings.redis_url)
    text = big_document(900, seed=2)
    job_id = submit(api, text, "survivor.md")
    with api.client() as client:
        wait_stage(client, job_id, "embedding")
        victim.kill()
        victim.stop()
        assert client.get(f"/jobs/{job_id}").json()["status"] == "running"

        rescuer = WorkerProcess(worker_env(api), tmp_path / "rescuer.log")
        try:
            rescuer.wait_ready(api.settings.redis_url)
            state = wait_job(client, job_id, timeout=180)
        finally:
            rescuer.stop()
        events = Redis.from_url(api.settings.redis_url).xrange(f"shield:job:{job_id}:events")
        seen = [e[1][b"state"].decode() for e in events]
        assert state["status"] == "succeeded", rescuer.log()[-3000:]
        assert state["attempts"] == 2, [
            (s["status"], s["stage"], s["attempts"]) for s in map(json.loads, seen)
        ]
        [item] = state["result"]["documents"]
        doc = client.get(f"/documents/{item['document_id']}").json()
        # No chunk twice: the document has exactly the chunks of one complete run.
        assert doc["chunks"] == item["chunks"]
        # Counts are those of the attempt that finished, not both attempts added up.
        assert state["result"]["chunks"] == item["chunks"]
        assert state["progress"]["chunks_embedded"] == item["chunks"]
        assert state["progress"]["chunks_stored"] == item["chunks"]

        assert any('"stage":"retrying"' in s and "worker_lost" in s for s in seen)
