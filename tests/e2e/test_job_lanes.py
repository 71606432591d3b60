"""A worker of the interactive lane takes small work only: a short note is done at once while the
other worker holds a long document, and bulk work queued behind that document stays queued for
the worker that takes it, its place shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from support.bigdoc import big_document
from support.services import ApiServer, WorkerProcess, submit, wait_job, wait_stage


@pytest.fixture(scope="module")
def api(start_api: Callable[..., ApiServer]) -> ApiServer:
    return start_api(interactive_max_bytes=4096)  # the long documents below are bulk work


def test_small_work_is_done_while_a_long_job_holds_the_other_worker(
    api: ApiServer, start_worker: Callable[..., WorkerProcess]
) -> None:
    start_worker(api)
    start_worker(api, SHIELD_WORKER_LANE="interactive")
    long = submit(api, big_document(1500, seed=3), "long.md")
    with api.client() as client:
        wait_stage(client, long, "embedding")
        behind = submit(api, big_document(200, seed=4), "behind.md")
        note = submit(api, "The night ferry leaves the north pier at seven.", "note.md")
        done = wait_job(client, note, timeout=60)
        assert done["status"] == "succeeded", done
        assert client.get(f"/jobs/{long}").json()["status"] == "running"
        queued = client.get(f"/jobs/{behind}").json()
        assert queued["status"] == "queued", queued  # not taken by the interactive lane
        assert queued["queue_position"] == 0, queued  # next, once the long one is done
        for job_id in (behind, long):
            assert client.delete(f"/jobs/{job_id}").status_code == 200
