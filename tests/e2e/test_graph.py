"""The knowledge graph end to end, with no LLM: documents are searchable once stored, and the
graph takes them in afterwards from its backlog; questions are answered from the graph; delete
and re-ingest keep it consistent, also while documents wait; a graph that is down delays only
the graph, which catches up by itself when it is back."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from redis import Redis

from shield.embeddings.local import LOCAL_MODEL_NAME as MODEL
from shield.embeddings.local import LocalEmbedder
from shield.graph.backlog import ENTRIES, member
from shield.graph.vectors import encode_vector
from support.graphfacts import build
from support.mcp import MCP_TOKEN, McpProcess, structured, with_session
from support.metrics import sample
from support.processes import wait_for
from support.services import (
    ApiServer,
    GraphProcess,
    WorkerProcess,
    wait_graph,
    wait_job,
)

COLLECTION = "gazette"


@pytest.fixture(scope="module")
def api(start_api: Callable[..., ApiServer], graph: GraphProcess) -> ApiServer:
    return start_api(
        lightrag_url=graph.url,
        lightrag_token=graph.token,
        lightrag_timeout=10,
        graph_idle_seconds=0.5,
        graph_retry_seconds=1,
    )


@pytest.fixture(scope="module")
def worker(api: ApiServer, start_worker: Callable[..., WorkerProcess]) -> WorkerProcess:
    return start_worker(api)  # no graph settings: a worker never talks to the graph


def ingest(client: httpx.Client, source: str, text: str) -> dict[str, Any]:
    response = client.post(
        "/ingest-async",
        json={
            "kind": "document",
            "text": text,
            "source": source,
            "collection": COLLECTION,
            "create_collection": True,
        },
    )
    assert response.status_code == 202, response.text
    state = wait_job(client, response.json()["job_id"])
    assert state["status"] == "succeeded", state
    return state


def ingested(client: httpx.Client, source: str, text: str) -> dict[str, Any]:
    """Ingest, then wait until the graph holds it too; returns the job's item for it."""
    [item] = ingest(client, source, text)["result"]["documents"]
    assert wait_graph(client, COLLECTION, item["document_id"])["graph"] == "stored"
    return dict(item)


def ask(client: httpx.Client, query: str, mode: str = "local") -> str:
    response = client.post(
        "/lightrag/query", json={"query": query, "mode": mode, "collection": COLLECTION}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["answer"])


def graph_holds(graph: GraphProcess, document_id: str) -> bool:
    with graph.client() as client:
        return client.get(f"/collections/{COLLECTION}/documents/{document_id}").status_code == 200


def test_without_an_llm_the_graph_answers_most_questions(
    api: ApiServer, worker: WorkerProcess
) -> None:
    texts, questions = build(10)
    with api.client() as client:
        jobs = [ingest(client, source, text) for source, text in texts.items()]
        for job in jobs:  # done once searchable: the graph takes them in afterwards
            [item] = job["result"]["documents"]
            assert item["graph"] in ("pending", "stored"), item
        for job in jobs:
            wait_graph(client, COLLECTION, job["result"]["documents"][0]["document_id"])
        last = client.get(f"/jobs/{jobs[-1]['job_id']}").json()
        assert last["result"]["documents"][0]["graph"] == "stored", last
        assert (last["progress"]["graph_stored"], last["progress"]["graph_pending"]) == (1, 0)
        listed = client.get("/documents", params={"collection": COLLECTION}).json()
        assert {d["graph"] for d in listed["documents"]} == {"stored"}

        scores: dict[str, float] = {}
        for mode in ("local", "hybrid"):
            hits = sum(
                question.expected in ask(client, question.text, mode) for question in questions
            )
            scores[mode] = hits / len(questions)
        print(f"\ngraph context holds the expected entity: {scores}")
        assert scores["local"] >= 0.8, scores
        assert scores["hybrid"] >= 0.8, scores
        for mode in ("naive", "global", "mix"):
            assert ask(client, questions[0].text, mode)


def test_delete_and_reingest_keep_the_graph_consistent(
    api: ApiServer, worker: WorkerProcess, graph: GraphProcess
) -> None:
    question = "Who is the keeper of the Fenwick archive?"
    with api.client() as client:
        first = ingested(client, "notice.md", "Ada Marlowe is the keeper of the Fenwick archive.")
        assert "Ada Marlowe" in ask(client, question)

        ingested(client, "notice.md", "Bram Oakes is now the keeper of the Fenwick archive.")
        after = ask(client, question)
        assert "Bram Oakes" in after
        assert "Ada Marlowe" not in after  # the old version left the graph with its chunks

        doc_id = first["document_id"]
        deleted = client.delete(f"/documents/{doc_id}", params={"collection": COLLECTION})
        assert deleted.json()["graph"] == "pending"
        wait_for_graph_to_forget(graph, doc_id)
        assert "Bram Oakes" not in ask(client, question)


def test_a_relation_comes_with_the_passages_it_was_found_in(
    api: ApiServer, worker: WorkerProcess
) -> None:
    text = (
        "Odile Ferrant inspects the sluice gates of the Marrow canal every autumn.\n\n"
        "The Marrow canal feeds the mill at Cressy."
    )
    with api.client() as client:
        item = ingested(client, "sluices.md", text)
        answer = client.post(
            "/lightrag/query",
            json={"query": "Odile Ferrant", "mode": "local", "collection": COLLECTION},
        ).json()
        relation = next(
            r for r in answer["relations"] if "Odile Ferrant" in (r["src_id"], r["tgt_id"])
        )
        ends = {"source": relation["tgt_id"], "target": relation["src_id"]}  # either order
        found = client.post("/lightrag/relation", json={**ends, "collection": COLLECTION})
        assert found.status_code == 200, found.text
        body = found.json()
        assert body["passages"], body
        assert all(p["document_id"] == item["document_id"] for p in body["passages"])
        assert any("Odile Ferrant inspects" in p["text"] for p in body["passages"])

        missing = client.post(
            "/lightrag/relation",
            json={"source": "Odile Ferrant", "target": "Nobody Atall", "collection": COLLECTION},
        )
        assert missing.status_code == 404, missing.text
        assert "no relation between 'Odile Ferrant' and 'Nobody Atall'" in missing.text
        empty = client.post("/lightrag/relation", json={"source": "", "target": "x"})
        assert empty.status_code == 422


def wait_for_graph_to_forget(graph: GraphProcess, document_id: str, timeout: float = 60) -> None:
    wait_for(lambda: not graph_holds(graph, document_id), timeout, "the graph to forget it")


def test_the_graph_service_checks_its_input_and_its_token(graph: GraphProcess) -> None:
    assert httpx.post(f"{graph.url}/query", json={"query": "x"}).status_code == 401
    with graph.client() as client:
        empty = client.put("/collections/c/documents/d", json={"chunks": []})
        assert empty.status_code == 422
        bad_mode = client.post("/query", json={"query": "x", "mode": "telepathy"})
        assert bad_mode.status_code == 422
        too_short = client.post("/query", json={"query": "0"})  # found by the fuzzer: was a 500
        assert too_short.status_code == 422, too_short.text
        assert "too short" in too_short.json()["error"]["message"]
        bad_collection = client.put("/collections/..%2Fetc/documents/d", json={"chunks": ["a"]})
        assert bad_collection.status_code in (404, 422)
        batch = client.post(
            "/collections/c/batch",
            json={
                "documents": [
                    {"document_id": "good", "chunks": ["Nell Avery keeps the Rook light."]},
                    {"document_id": "blank", "chunks": ["   "]},
                ],
                "delete": ["never-stored"],
            },
        )
        assert batch.status_code == 200, batch.text
        results = batch.json()["results"]
        assert results["good"]["status"] == "stored"  # the bad one fails alone
        assert results["blank"]["status"] == "failed"
        assert "chunk of text" in results["blank"]["error"]
        assert results["never-stored"]["status"] == "absent"
        twice = client.post(
            "/collections/c/batch",
            json={"documents": [{"document_id": "a", "chunks": ["x"]}] * 2},
        )
        assert twice.status_code == 422
        metrics = client.get("/metrics").text
        assert (
            sample(metrics, "shield_lightrag_operations_total", operation="insert", status="ok")
            >= 1
        )


def test_the_graph_takes_chunk_vectors_from_the_vector_store(
    graph: GraphProcess, embedder: LocalEmbedder
) -> None:
    """The feeder sends each chunk's stored vector: the graph searches by it, not by one of its
    own (here the vector of another sentence, so a query for that sentence finds the chunk)."""
    chunk = "Quentin Marsh repairs the foghorn on Tern Point every spring."
    elsewhere = "the ledger of harbour dues for salted cod"
    vector = encode_vector(embedder.embed([elsewhere])[0])
    good = {"document_id": "marsh", "chunks": [chunk], "vectors": [vector], "model": MODEL}
    with graph.client() as client:
        for wrong, message in (
            ({"vectors": [vector, vector]}, "1 chunks and 2 vectors"),
            ({"vectors": [vector[:-8]]}, "384 dimensions"),
            ({"vectors": ["not base64!"]}, "base64"),
        ):
            refused = client.post(
                "/collections/vectors/batch", json={"documents": [{**good, **wrong}]}
            )
            assert refused.status_code == 422, refused.text
            assert message in refused.json()["error"]["message"]
        stored = client.post("/collections/vectors/batch", json={"documents": [good]})
        assert stored.json()["results"]["marsh"]["status"] == "stored", stored.text
        found = client.post(
            "/query", json={"query": elsewhere, "mode": "naive", "collection": "vectors"}
        ).json()
        assert [c["content"] for c in found["chunks"]] == [chunk]
        # Another model's vectors are not used: the graph embeds the chunk itself.
        other = {**good, "document_id": "marsh-2", "model": "another-model"}
        client.post("/collections/other/batch", json={"documents": [other]}).raise_for_status()
        found = client.post(
            "/query", json={"query": elsewhere, "mode": "naive", "collection": "other"}
        ).json()
        assert found["chunks"] == []


def test_documents_sent_at_once_all_reach_the_graph(graph: GraphProcess) -> None:
    """Several workers may send documents at the same moment; each one must land."""

    def put(i: int) -> int:
        with graph.client() as client:
            text = f"Keeper {FIRST_NAMES[i]} guards the beacon of Rock {i}."
            return client.put(
                f"/collections/concurrent/documents/doc-{i}", json={"chunks": [text]}
            ).status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(put, range(4))) == [200] * 4
    with graph.client() as client:
        for i in range(4):
            answer = client.post(
                "/query",
                json={
                    "query": f"Who guards the beacon of Rock {i}?",
                    "collection": "concurrent",
                    "mode": "local",
                },
            ).json()["answer"]
            assert FIRST_NAMES[i] in answer


FIRST_NAMES = ["Aldous", "Brigid", "Cormac", "Delphine"]
LATE_NOTE = "Corin Vale inspects the Saltmere dam every autumn."


def test_lightrag_query_through_mcp(api: ApiServer, worker: WorkerProcess, tmp_path: Path) -> None:
    with api.client() as client:
        ingested(client, "ferries.md", "The ferry Kestrel sails between Saltmere and Tollgard.")
    server = McpProcess(api, tmp_path / "mcp.log")

    async def body(session: ClientSession) -> Any:
        return await session.call_tool(
            "lightrag_query",
            {
                "query": "Which ferry sails between Saltmere and Tollgard?",
                "mode": "local",
                "collection": COLLECTION,
            },
        )

    try:
        result = with_session(server.url, MCP_TOKEN, body)
        answer = structured(result)
    finally:
        server.stop()
    assert answer["llm_generated"] is False
    assert "Kestrel" in answer["answer"]
    # The text numbers the passages under their sources with their document ids, as
    # qdrant_find does, and the entities cite them.
    text = result.content[0].text
    kestrel = next(c for c in answer["chunks"] if "Kestrel" in c["content"])
    assert f"] ferries.md, document {kestrel['document_id']}" in text
    assert "Kestrel" in text.split("Entities:")[1]
    assert "<SEP>" not in text
    assert "unknown_source" not in text


def test_every_part_of_a_graph_answer_names_its_documents_within_its_size(
    api: ApiServer, worker: WorkerProcess
) -> None:
    with api.client() as client:
        item = ingested(
            client,
            "locks.md",
            "Bram Oakes keeps the lock at Fenwater. The lock at Fenwater was built by Ulla Marr.",
        )
        for mode in ("naive", "local", "global", "hybrid", "mix"):
            response = client.post(
                "/lightrag/query",
                json={"query": "Who keeps the lock at Fenwater?", "mode": mode,
                      "collection": COLLECTION, "max_chars": 3000},
            )  # fmt: skip
            assert response.status_code == 200, response.text
            assert len(response.text) <= 3000, (mode, len(response.text))
            assert "<SEP>" not in response.text
            assert "unknown_source" not in response.text
            answer = response.json()
            for chunk in answer["chunks"]:
                assert chunk["document_id"], (mode, chunk)
                assert chunk["source"], (mode, chunk)
            for part in [*answer["entities"], *answer["relations"]]:
                assert part["documents"], (mode, part)
                assert all(d["document_id"] and d["source"] for d in part["documents"])
        local = client.post(
            "/lightrag/query",
            json={"query": "Bram Oakes", "mode": "local", "collection": COLLECTION},
        ).json()
        bram = next(e for e in local["entities"] if e["entity_name"] == "Bram Oakes")
        assert bram["documents"] == [
            {"document_id": item["document_id"], "source": "locks.md", "title": ""}
        ]
        assert len(local["chunks"]) <= 10  # the default: ten passages at most


def test_a_graph_that_is_down_delays_only_the_graph(
    api: ApiServer, worker: WorkerProcess, graph: GraphProcess
) -> None:
    """While the graph is down, documents are stored and searchable and wait for it (pending);
    what happens to them meanwhile is honoured: the graph gets each one's latest version, and
    none that was deleted. When it is back, it catches up without anyone ingesting again."""
    graph.stop()
    try:
        with api.client() as client:
            [late] = ingest(client, "late.md", LATE_NOTE)["result"]["documents"]
            assert (late["status"], late["graph"]) == ("stored", "pending"), late
            found = client.post(
                "/search", json={"query": "who inspects the dam", "collection": COLLECTION}
            ).json()["results"]
            assert found[0]["source"] == "late.md"  # vector search does not need the graph
            assert wait_graph(client, COLLECTION, late["document_id"], ("pending",))
            down = client.post("/lightrag/query", json={"query": "who inspects the dam"})
            assert down.status_code == 503
            assert down.headers["Retry-After"]

            ingest(client, "rota.md", "Wren Hale rings the Tollgard bell at noon.")
            [rota] = ingest(client, "rota.md", "Juno Pell rings the Tollgard bell at noon.")[
                "result"
            ]["documents"]
            [gone] = ingest(client, "gone.md", "Oswin Fray sweeps the Saltmere quay.")["result"][
                "documents"
            ]
            client.delete(f"/documents/{gone['document_id']}", params={"collection": COLLECTION})

        graph.start()
        with api.client() as client:
            wait_graph(client, COLLECTION, late["document_id"], ("stored",))
            wait_graph(client, COLLECTION, rota["document_id"], ("stored",))
            assert "Corin Vale" in ask(client, "Who inspects the Saltmere dam?")
            bell = ask(client, "Who rings the Tollgard bell?")
            assert "Juno Pell" in bell
            assert "Wren Hale" not in bell  # the version replaced while it waited
            assert not graph_holds(graph, gone["document_id"])  # deleted while it waited
            wait_for(
                lambda: sample(client.get("/metrics").text, "shield_graph_backlog_documents") == 0,
                10,
                "the backlog gauge to say the graph caught up",
            )
    finally:
        if graph.process.poll() is not None:
            graph.start()


def test_ingesting_again_unchanged_repairs_what_the_graph_lacks(
    api: ApiServer, worker: WorkerProcess, graph: GraphProcess, redis_server: Any
) -> None:
    """A stored document the graph has no record of (stored before the graph kept state, or its
    entry lost): ingesting it again, unchanged, has the graph take it in, without embedding."""
    text = "Marek Lund winds the Tollgard tower clock on Sundays."
    with api.client() as client:
        item = ingested(client, "clock.md", text)
        Redis.from_url(redis_server.url).hdel(ENTRIES, member(COLLECTION, item["document_id"]))
        assert (
            client.get(
                f"/documents/{item['document_id']}", params={"collection": COLLECTION}
            ).json()["graph"]
            is None
        )
        [again] = ingest(client, "clock.md", text)["result"]["documents"]
        assert (again["status"], again["graph"]) == ("unchanged", "pending"), again
        assert wait_graph(client, COLLECTION, item["document_id"])["graph"] == "stored"
        [still] = ingest(client, "clock.md", text)["result"]["documents"]
        assert (still["status"], still["graph"]) == ("unchanged", "stored"), still


def test_a_question_nothing_matches_is_answered_with_why(api: ApiServer) -> None:
    with api.client() as client:
        made = client.post("/collections", json={"name": "graph-empty"})
        assert made.status_code == 201, made.text
        for mode in ("global", "local"):
            answer = client.post(
                "/lightrag/query",
                json={"query": "Who built the granary at Tarn Ford?", "mode": mode,
                      "collection": "graph-empty"},
            ).json()  # fmt: skip
            assert (answer["chunks"], answer["entities"], answer["relations"]) == ([], [], [])
            assert "Nothing in the knowledge graph of graph-empty matched" in answer["answer"]
            assert "Tarn Ford" in answer["answer"]  # what it looked for


def test_global_gives_an_overview_for_a_question_that_names_nothing(api: ApiServer) -> None:
    """No relation matches the question's themes: global mode answers with the relations
    among the most connected entities, says so, and cites their passages."""
    notes = [
        "Ida Marr keeps the lighthouse at Corrow with Bo Dunne.",
        "Bo Dunne rows the mail boat from Corrow to Ashford.",
        "The Corrow lighthouse was built by Alba Crane.",
        "Ida Marr logs the weather at Corrow every night.",
    ]
    with api.client() as client:
        for number, text in enumerate(notes):
            stored = client.post(
                "/store",
                json={"text": text, "source": f"overview-{number}.md",
                      "collection": "graph-overview", "create_collection": True},
            )  # fmt: skip
            assert stored.status_code == 200, stored.text
            document = stored.json()["document_id"]
            assert wait_graph(client, "graph-overview", document)["graph"] == "stored"
        answer = client.post(
            "/lightrag/query",
            json={"query": "What are the main themes here?", "mode": "global",
                  "collection": "graph-overview"},
        ).json()  # fmt: skip
    assert answer["relations"], answer
    assert answer["overview"] is True
    assert "an overview of what it holds" in answer["answer"]
    names = {r["src_id"] for r in answer["relations"]} | {r["tgt_id"] for r in answer["relations"]}
    assert "Corrow" in names  # the most connected entity
    assert answer["chunks"]
    assert all(c["document_id"] and c["source"].startswith("overview-") for c in answer["chunks"])


def test_hops_follow_the_graph_to_the_passage_a_two_hop_question_needs(
    api: ApiServer, worker: WorkerProcess
) -> None:
    """Who built the mill that a keeper keeps? The keeper's document names the town, the
    builder's names the builder; every mill's builder document shares the question's words."""
    towns = ["Ashford", "Bellmere", "Corrow", "Dunhelm", "Eastwick", "Fallow"]
    keepers = ["Nora Quist", "Pavel Ruud", "Quin Sorel", "Rhea Tamm", "Sten Ulver", "Tove Wray"]
    builders = ["Alba Crane", "Bo Dunne", "Cai Elder", "Dag Frey", "Eir Gale", "Finn Holt"]
    with api.client() as client:
        sources = {}
        for town, keeper, builder in zip(towns, keepers, builders, strict=True):
            ingested(client, f"keeper-{town}.md", f"{keeper} keeps the mill at {town}.")
            built = ingested(
                client, f"builder-{town}.md", f"The mill at {town} was built by {builder}."
            )
            sources[keeper] = built["document_id"]
        for keeper, document in sources.items():
            answer = client.post(
                "/lightrag/query",
                json={"query": f"Who built the mill that {keeper} keeps?", "mode": "hops",
                      "collection": COLLECTION, "limit": 3},
            ).json()  # fmt: skip
            assert answer["mode"] == "hops"
            found = {c["document_id"]: c for c in answer["chunks"]}
            assert document in found, (keeper, answer["chunks"])
            # The path that led there goes through the keeper's town.
            path = {name for pair in found[document]["path"] for name in pair}
            assert path & set(towns), found[document]
        unnamed = client.post(
            "/lightrag/query",
            json={"query": "what is kept in mills?", "mode": "hops", "collection": COLLECTION},
        ).json()
        assert unnamed["mode"] == "mix"  # it names no entity: passages near it instead
