"""The whole path over HTTP: ingest -> 202 -> events -> succeeded -> search finds it ->
re-ingest changes nothing -> changed content replaces it -> delete -> gone."""

from __future__ import annotations

import time

import httpx

from support.metrics import sample
from support.services import TOKEN, ApiServer, WorkerProcess, sse_states, wait_job

MANUAL = """# Zorblax 9000 maintenance manual

## Cooling
The Zorblax 9000 is cooled by a closed loop of blue glycol. Replace the glycol every 400 hours.

## Power
The unit draws 32 amperes at start-up and needs a dedicated circuit.
"""


def ingest(client: httpx.Client, text: str, source: str, **extra: object) -> dict[str, object]:
    response = client.post(
        "/ingest-async", json={"kind": "document", "text": text, "source": source, **extra}
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def test_document_goes_the_whole_way(api: ApiServer, worker: WorkerProcess) -> None:
    with api.client() as client:
        started = time.perf_counter()
        accepted = ingest(client, MANUAL, "manuals/zorblax.md", metadata={"team": "ops"})
        assert time.perf_counter() - started < 2  # answered before any work
        assert accepted["status"] == "queued"
        assert accepted["status_url"] == f"/jobs/{accepted['job_id']}"

        states, first_ids = sse_states(api, str(accepted["events_url"]))
        assert len(first_ids) == len(states)
        assert states[0]["status"] == "queued"
        assert states[-1]["status"] == "succeeded", worker.log()[-3000:]
        stages = [s["stage"] for s in states]
        for stage in ("reading", "chunking", "embedding", "storing", "done"):
            assert stage in stages
        # A client that reconnects with Last-Event-ID gets only what it missed.
        with client.stream(
            "GET", str(accepted["events_url"]), headers={"Last-Event-ID": first_ids[1]}
        ) as resumed:
            ids = [line[3:].strip() for line in resumed.iter_lines() if line.startswith("id:")]
        assert ids == first_ids[2:]
        final = client.get(str(accepted["status_url"])).json()
        assert final["status"] == "succeeded"
        assert final["progress"]["documents_done"] == 1
        [item] = final["result"]["documents"]
        assert item["status"] == "stored"
        assert item["chunks"] >= 1
        document_id = item["document_id"]

        hits = client.post("/search", json={"query": "what coolant does the Zorblax use?"}).json()
        best = hits["results"][0]
        assert "glycol" in best["text"]
        assert best["document_id"] == document_id
        assert best["source"] == "manuals/zorblax.md"
        assert best["metadata"]["metadata"] == {"team": "ops"}
        assert best["metadata"]["job_id"] == accepted["job_id"]

        # The same content again: nothing changes, not even the ingestion time.
        before = client.get(f"/documents/{document_id}").json()
        again = wait_job(
            client,
            str(ingest(client, MANUAL, "manuals/zorblax.md", metadata={"team": "ops"})["job_id"]),
        )
        assert again["result"]["documents"][0]["status"] == "unchanged"
        assert client.get(f"/documents/{document_id}").json() == before

        # New content under the same source replaces the old chunks.
        changed = MANUAL.replace("blue glycol", "liquid nitrogen") + "\n## Noise\nIt hums.\n" * 40
        state = wait_job(client, str(ingest(client, changed, "manuals/zorblax.md")["job_id"]))
        assert state["result"]["documents"][0]["status"] == "stored"
        after = client.get(f"/documents/{document_id}").json()
        assert after["content_hash"] != before["content_hash"]
        assert after["chunks"] == state["result"]["documents"][0]["chunks"]
        texts = [
            h["text"]
            for h in client.post("/search", json={"query": "Zorblax coolant", "limit": 100}).json()[
                "results"
            ]
        ]
        assert not any("blue glycol" in t for t in texts)
        assert any("liquid nitrogen" in t for t in texts)
        listed = client.get("/documents").json()["documents"]
        assert [d["document_id"] for d in listed].count(document_id) == 1

        # The worker counts what it did, for Prometheus.
        metrics_url = f"http://127.0.0.1:{worker.metrics_port}/metrics"
        assert httpx.get(metrics_url).status_code == 401  # the API token guards them too
        worker_metrics = httpx.get(metrics_url, headers={"Authorization": f"Bearer {TOKEN}"}).text
        assert (
            sample(
                worker_metrics, "shield_jobs_total", kind="document", status="succeeded", cause=""
            )
            >= 1
        )
        assert "shield_embedding_seconds_count" in worker_metrics
        assert 'shield_circuit_breaker_state{breaker="api",service="worker"} 0.0' in worker_metrics

        # Delete: gone from search and from the listing.
        deleted = client.delete(f"/documents/{document_id}")
        assert deleted.status_code == 200
        assert deleted.json()["chunks"] == after["chunks"]
        assert client.get(f"/documents/{document_id}").status_code == 404
        results = client.post("/search", json={"query": "Zorblax coolant"}).json()["results"]
        assert all(r["document_id"] != document_id for r in results)


def test_store_then_find_with_filter(api: ApiServer) -> None:
    with api.client() as client:
        stored = client.post(
            "/store",
            json={
                "text": "The staging database password rotates on Mondays.",
                "metadata": {"team": "dba"},
                "collection": "notes",
                "create_collection": True,
            },
        )
        assert stored.status_code == 200, stored.text
        client.post(
            "/store",
            json={
                "text": "Lunch is served at noon.",
                "collection": "notes",
                "create_collection": True,
                "metadata": {"team": "facilities"},
            },
        )
        found = client.post(
            "/search",
            json={
                "query": "when does the password change",
                "collection": "notes",
                "filter": {"metadata.team": "dba"},
            },
        ).json()["results"]
        assert [r["document_id"] for r in found] == [stored.json()["document_id"]]
        names = [c["name"] for c in client.get("/collections").json()["collections"]]
        assert "notes" in names


def test_failed_document_is_reported_not_stored(api: ApiServer, worker: WorkerProcess) -> None:
    with api.client() as client:
        state = wait_job(client, str(ingest(client, "   \n\n  ", "blank.md")["job_id"]))
        assert state["status"] == "failed"
        assert state["error"]["code"] == "documents_failed"
        assert "no text" in state["error"]["message"]
        assert state["result"]["documents"][0]["status"] == "failed"
        document_id = state["result"]["documents"][0]["document_id"]
        assert client.get(f"/documents/{document_id}").status_code == 404
