"""Cancel stops the work and stores nothing, whether the job is running or still queued."""

from __future__ import annotations

from redis import Redis
from rq.job import Job

from shield.documents.identity import document_id
from support.bigdoc import big_document
from support.processes import wait_for
from support.services import ApiServer, WorkerProcess, submit, wait_stage


def test_cancel_running_and_queued_jobs_store_nothing(
    api: ApiServer, worker: WorkerProcess
) -> None:
    running = submit(api, big_document(1500, seed=1), "big-cancelled.md")
    queued = submit(api, "A short note that waits its turn.", "queued-cancelled.md")
    with api.client() as client:
        wait_stage(client, running, "embedding")
        assert client.get(f"/jobs/{queued}").json()["status"] == "queued"

        for job_id in (queued, running):
            response = client.delete(f"/jobs/{job_id}")
            assert response.status_code == 200
            assert response.json()["status"] == "cancelled"

        # The worker notices at its next check and returns without storing.
        redis = Redis.from_url(api.settings.redis_url)
        wait_for(
            lambda: Job.fetch(running, connection=redis).get_status() == "finished",
            60,
            "the worker to give up the cancelled job",
        )
        for job_id, source in ((running, "big-cancelled.md"), (queued, "queued-cancelled.md")):
            state = client.get(f"/jobs/{job_id}").json()
            assert state["status"] == "cancelled"
            assert state["error"]["code"] == "cancelled"
            doc = document_id(api.settings.default_collection, source)
            assert client.get(f"/documents/{doc}").status_code == 404

        again = client.delete(f"/jobs/{running}")
        assert again.status_code == 409
        assert "already cancelled" in again.json()["error"]["message"]
