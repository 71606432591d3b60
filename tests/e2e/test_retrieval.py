"""Search as a user meets it over HTTP, with the real model: the three modes, results grouped
by document, pages and thresholds, several texts stored at once, bad input, and a collection
built before the lexical index, searched dense until it is reindexed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support.services import ApiServer, WorkerProcess, wait_job

# The part number is in one passage; the others are about the same subjects in other words,
# which is all a dense ranking has to go by.
NOTES = [
    {"text": "Inventory note: QX-7731 arrived on Tuesday and went to shelf four.", "source": "a"},
    {"text": "The pump seal must be replaced as soon as it starts to leak.", "source": "b"},
    {"text": "Seals and gaskets wear out faster in cold water.", "source": "c"},
    {"text": "Which seal fits the north pump? Ask the maintenance office.", "source": "d"},
    {"text": "Dr. Oyelaran-Whitcombe keeps the key to the boathouse.", "source": "e"},
    {"text": "Reports are reviewed and signed by the head of the department.", "source": "f"},
    {"text": "Who approves the yearly report? The board signs it in March.", "source": "g"},
]
TITLE = "Glacier field guide"
GUIDE = f"""# {TITLE}

## Crevasses
Crevasses on the glacier open wider in late summer, when the snow bridges that hide them melt
from below. Rope up before crossing the glacier, keep the rope taut between walkers, and probe
the snow ahead with a pole where the surface sags. A walker who falls into a crevasse is held by
the rope; the others set an anchor and haul with a pulley. Never walk alone on a glacier that
is covered by snow, and cross early in the morning while the bridges are still frozen hard.

## Moraines
Moraines mark where the glacier once reached. The lateral moraine along the side of the glacier
is the safest path up the valley: it is made of loose rock, but nothing opens beneath it. The
terminal moraine at the snout holds back a lake of meltwater in many valleys; its slopes slide
after heavy rain, so keep to the marked trail and stay off the steep inner face of the ridge.

## Ice caves
Ice caves under the glacier collapse without warning in warm weather, and the blue light inside
tempts visitors further in than is safe. Meltwater carves them from below every summer; blocks
of ice fall from the roof at any hour. Look at them from the outside only, keep a distance of
at least the cave's own height from its mouth, and never enter one in the afternoon heat.
"""


def search(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post("/search", json={"collection": "notes", **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def sources(found: dict[str, Any]) -> list[str]:
    return [hit["source"] for hit in found["results"]]


@pytest.fixture(scope="module")
def notes(api: ApiServer, worker: WorkerProcess) -> ApiServer:
    with api.client() as client:
        stored = client.post(
            "/store", json={"create_collection": True, "collection": "notes", "texts": NOTES}
        )
        assert stored.status_code == 200, stored.text
        # A file, converted: each passage gets its heading path, the document its title.
        accepted = client.post(
            "/ingest-async/upload",
            files={"file": ("glacier.md", GUIDE.encode())},
            data={"collection": "notes"},
        )
        assert accepted.status_code == 202, accepted.text
        state = wait_job(client, accepted.json()["job_id"])
        assert state["status"] == "succeeded", worker.log()[-3000:]
        assert state["result"]["chunks"] >= 2
    return api


def test_several_texts_are_stored_in_one_call_each_its_own_document(notes: ApiServer) -> None:
    with notes.client() as client:
        listed = client.get("/documents", params={"collection": "notes"}).json()["documents"]
    assert {d["source"] for d in listed} == {n["source"] for n in NOTES} | {"glacier.md"}


def test_a_rare_exact_token_is_found_first_by_hybrid_and_lexical_not_dense(
    notes: ApiServer,
) -> None:
    # Dense ranks the seal passages first: they are what the words mean. Only one passage has
    # the part number. (The model places surnames well at this size, so a name is no test.)
    query, passage = "which seal is QX-7731", "a"
    with notes.client() as client:
        assert sources(search(client, query=query, mode="lexical"))[0] == passage
        hybrid = search(client, query=query)
        assert hybrid["mode"] == "hybrid"  # the default
        assert sources(hybrid)[0] == passage
        assert sources(search(client, query=query, mode="dense"))[0] != passage


def test_grouped_by_document_each_document_once_with_its_title_and_headings(
    notes: ApiServer,
) -> None:
    with notes.client() as client:
        passages = search(client, query="is it safe to walk on the glacier", limit=3)
        assert sources(passages)[:2] == ["glacier.md"] * 2  # its passages crowd the page
        grouped = search(
            client, query="is it safe to walk on the glacier", limit=3, group_by="document"
        )
        found = sources(grouped)
        assert len(found) == len(set(found)) == 3
        best = grouped["results"][0]
        assert best["source"] == "glacier.md"
        assert best["title"] == "Glacier field guide"
        assert best["headings"][0] == "Glacier field guide"
        second_page = search(
            client,
            query="is it safe to walk on the glacier",
            limit=3,
            offset=3,
            group_by="document",
        )
        assert not set(sources(second_page)) & set(found)


def test_pages_follow_each_other_and_the_threshold_leaves_out_weak_results(
    notes: ApiServer,
) -> None:
    with notes.client() as client:
        for mode in ("hybrid", "dense", "lexical"):
            query = {"query": "pump seal report", "mode": mode}
            whole = search(client, **query, limit=6)["results"]
            page = search(client, **query, limit=3, offset=3)["results"]
            assert [h["id"] for h in page] == [h["id"] for h in whole[3:6]], mode
            # Between the first two results that do not tie: those above it are kept.
            scores = [h["score"] for h in whole]
            first = next(i for i in range(len(scores) - 1) if scores[i] > scores[i + 1])
            cut = (scores[first] + scores[first + 1]) / 2
            kept = search(client, **query, score_threshold=cut)["results"]
            assert [h["id"] for h in kept] == [h["id"] for h in whole[: first + 1]], mode


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"query": "x", "mode": "fuzzy"}, "'hybrid', 'dense' or 'lexical'"),
        ({"query": "x", "offset": -1}, "greater than or equal to 0"),
        ({"query": "x", "offset": 10_001}, "less than or equal to 10000"),
        ({"query": "x", "mode": "dense", "score_threshold": 1.5}, "a dense score is at most 1"),
        ({"query": "x", "score_threshold": 2.5}, "a hybrid score is at most 2"),
        ({"query": "x", "score_threshold": -0.1}, "greater than or equal to 0"),
        ({"query": "x", "group_by": "source"}, "'document'"),
    ],
)
def test_bad_search_parameters_get_a_clear_422(
    api: ApiServer, body: dict[str, Any], says: str
) -> None:
    with api.client() as client:
        response = client.post("/search", json=body)
    assert response.status_code == 422, response.text
    assert says in response.text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"texts": [{"text": f"note {i}"} for i in range(101)]}, "at most 100 items"),
        ({"text": "one", "texts": [{"text": "two"}]}, "either text (one) or texts (several)"),
        ({}, "either text (one) or texts (several)"),
        ({"texts": [{"text": "a"}], "source": "s"}, "each text its own source and metadata"),
        ({"texts": []}, "at least 1 item"),
    ],
)
def test_bad_store_batches_get_a_clear_422_and_store_nothing(
    api: ApiServer, body: dict[str, Any], says: str
) -> None:
    with api.client() as client:
        response = client.post(
            "/store", json={"create_collection": True, "collection": "refused", **body}
        )
        assert response.status_code == 422, response.text
        assert says in response.text
        assert client.get("/documents", params={"collection": "refused"}).status_code == 404


def test_an_oversized_text_in_a_batch_is_refused_before_anything_is_stored(api: ApiServer) -> None:
    limit = api.settings.max_store_chars
    texts = [{"text": "fits"}, {"text": "x" * (limit + 1)}]
    with api.client() as client:
        response = client.post(
            "/store", json={"create_collection": True, "collection": "oversized", "texts": texts}
        )
        assert response.status_code == 413, response.text
        assert "text 2 of 2" in response.json()["error"]["message"]
        assert client.get("/documents", params={"collection": "oversized"}).status_code == 404


def test_a_collection_built_before_the_lexical_index_is_reindexed(api: ApiServer) -> None:
    services = api.server.config.app.state.services
    model = services.embedder
    services.store.create_collection("legacy", model.model_name, model.dimension, lexical=None)
    with api.client() as client:
        stored = client.post(
            "/store", json={"create_collection": True, "collection": "legacy", "texts": NOTES}
        )
        assert stored.status_code == 200, stored.text
        query = {"query": "which seal is QX-7731", "collection": "legacy"}
        refused = client.post("/search", json={**query, "mode": "hybrid"})
        assert refused.status_code == 409
        assert "POST /collections/legacy/reindex" in refused.json()["error"]["message"]
        assert client.post("/search", json={**query, "mode": "lexical"}).status_code == 409
        dense = client.post("/search", json=query).json()
        assert dense["mode"] == "dense"  # the default until it is reindexed
        before = [hit["id"] for hit in dense["results"]]

        accepted = client.post("/collections/legacy/reindex")
        assert accepted.status_code == 202, accepted.text
        assert accepted.headers["Location"] == accepted.json()["status_url"]
        state = wait_job(client, accepted.json()["job_id"])
        assert state["status"] == "succeeded", state
        assert state["kind"] == "reindex"
        assert state["progress"]["points_done"] == state["progress"]["points_total"] == len(NOTES)

        again = client.post("/search", json={**query, "mode": "dense"}).json()
        assert [hit["id"] for hit in again["results"]] == before  # the embeddings were kept
        hybrid = client.post("/search", json=query).json()
        assert hybrid["mode"] == "hybrid"
        assert hybrid["results"][0]["source"] == "a"
        assert client.post("/collections/missing/reindex").status_code == 404
        done = wait_job(client, client.post("/collections/legacy/reindex").json()["job_id"])
        assert done["status"] == "succeeded"  # nothing left to do


def test_a_collection_is_created_with_its_fusion_and_listed_with_its_indexes(
    api: ApiServer,
) -> None:
    with api.client() as client:
        created = client.post("/collections", json={"name": "ranked", "fusion": "rrf"})
        assert created.status_code == 201, created.text
        assert (created.json()["fusion"], created.json()["lexical"]) == ("rrf", True)
        assert client.post("/collections", json={"name": "ranked"}).status_code == 409
        refused = client.post("/collections", json={"name": "other", "fusion": "weighted"})
        assert refused.status_code == 422
        assert "'dbsf' or 'rrf'" in refused.text
        client.post(
            "/store", json={"create_collection": True, "collection": "ranked", "texts": NOTES[:3]}
        )
        found = client.post("/search", json={"collection": "ranked", "query": "QX-7731"}).json()
        assert found["mode"] == "hybrid"
        assert found["results"][0]["source"] == "a"
        # RRF's scores are reciprocal ranks, 1/(60 + rank) from rank 0: at most 2/60 for a
        # passage first in both rankings (a DBSF score would be near 2).
        assert found["results"][0]["score"] <= 2 / 60 + 1e-6
        listed = {c["name"]: c for c in client.get("/collections").json()["collections"]}
        assert listed["ranked"]["fusion"] == "rrf"
        assert listed["ranked"]["points"] == 3
        for confirm in ({}, {"confirm": "rank"}):
            unconfirmed = client.delete("/collections/ranked", params=confirm)
            assert unconfirmed.status_code == 422
            assert "repeat its name as confirm=ranked" in unconfirmed.json()["error"]["message"]
        assert client.get("/documents", params={"collection": "ranked"}).json()["documents"]
        confirmed = {"confirm": "ranked"}
        assert client.delete("/collections/ranked", params=confirmed).json() == {
            "deleted": "ranked",
            "documents": 3,
            "graph": "no graph",
        }
        assert client.delete("/collections/ranked", params=confirmed).status_code == 404
