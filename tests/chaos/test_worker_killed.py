"""A worker killed (-9) in the middle of a job (an ingest, a source's sync): the job is retried
and finished by another worker, never left `running`. This module runs no other worker, so the
job surely goes to the one that is killed."""

from __future__ import annotations

import json
from pathlib import Path

from redis import Redis

from shield.documents.identity import document_id
from support.bigdoc import big_document
from support.processes import wait_for
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


def test_a_sync_whose_worker_is_killed_is_finished_by_the_next_worker(
    api: ApiServer, tmp_path: Path
) -> None:
    """What the killed attempt stored is not read or embedded again; the rest is."""
    inbox = tmp_path / "inbox"
    (inbox / "manuals").mkdir(parents=True)
    for n in range(6):
        (inbox / "manuals" / f"manual-{n}.md").write_text(big_document(80, seed=10 + n))
    env = {**worker_env(api), "SHIELD_INBOX_DIR": str(inbox)}
    victim = WorkerProcess(env, tmp_path / "victim.log")
    victim.wait_ready(api.settings.redis_url)
    with api.client() as client:
        made = client.post("/sources", json={"kind": "folder", "path": "manuals"})
        assert made.status_code == 201, made.text
        sid = made.json()["source_id"]
        job_id = client.post(f"/sources/{sid}/sync").json()["job_id"]
        wait_for(
            lambda: client.get(f"/jobs/{job_id}").json()["progress"]["documents_done"] >= 2,
            120, "two of the six manuals stored", interval=0.05,
        )  # fmt: skip
        victim.kill()
        victim.stop()

        rescuer = WorkerProcess(env, tmp_path / "rescuer.log")
        try:
            rescuer.wait_ready(api.settings.redis_url)
            state = wait_job(client, job_id, timeout=240)
        finally:
            rescuer.stop()
        assert (state["status"], state["attempts"]) == ("succeeded", 2), rescuer.log()[-3000:]
        source = client.get(f"/sources/{sid}").json()
        last = source["last_sync"]
        assert (last["status"], last["failed"], source["documents"]) == ("succeeded", 0, 6)
        assert last["added"] + last["unchanged"] == 6
        assert last["unchanged"] >= 2  # stored before the kill: not read again
        stored = [d for d in state["result"]["documents"] if d["status"] == "stored"]
        assert len(stored) == last["added"]
        assert state["progress"]["chunks_embedded"] == sum(d["chunks"] for d in stored)
        # Every manual is there once, with all its passages.
        for n in range(6):
            doc = document_id(api.settings.default_collection, f"manuals/manual-{n}.md")
            found = client.get(f"/documents/{doc}")
            assert found.status_code == 200, found.text
            assert found.json()["source_id"] == sid
