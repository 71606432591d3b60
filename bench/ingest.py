"""Documents -> searchable chunks per second, end to end through shield-api, Redis and the
shield-workers (two, as the workers role deploys them, sharing the CPUs), against the raw
throughput of the same embedding model measured in the same run on the same chunk texts.
Goal: ratio >= 0.9.

With `--graph`, the knowledge graph is on (shield-lightrag, offline, as `make up` deploys it):
the same ratio, then how fast the graph catches up once the documents are searchable, in
documents per minute against embedding the same documents alone. Goal: >= 0.5.

    python -m bench.ingest [--documents 60] [--paragraphs 12] [--rounds 3] [--workers 2] [--graph]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Platform, corpus, median, save
from shield.documents.chunking import Chunker
from shield.embeddings.local import LocalEmbedder


def documents(texts: list[str], round_no: int, count: int, paragraphs: int) -> list[str]:
    start = round_no * count * paragraphs
    return [
        "\n\n".join(texts[start + i * paragraphs : start + (i + 1) * paragraphs])
        for i in range(count)
    ]


def graph_done(client: httpx.Client, collection: str, timeout: float = 3600) -> float:
    """Wait until the graph holds every document of the collection; returns when that was."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        documents = client.get("/documents", params={"collection": collection}).json()
        states = {d.get("graph") for d in documents["documents"]}
        if states <= {"stored", "failed"}:
            assert "failed" not in states, documents
            return time.perf_counter()
        time.sleep(0.5)
    raise AssertionError(f"the graph did not catch up with {collection} in {timeout} s")


def wait_final(client: httpx.Client, job_id: str) -> dict[str, Any]:
    """The job's final state, from its Server-Sent Events."""
    with client.stream("GET", f"/jobs/{job_id}/events", timeout=None) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                state: dict[str, Any] = json.loads(line[5:])
                if state["status"] in ("succeeded", "failed", "cancelled"):
                    return state
    raise AssertionError(f"the events of job {job_id} ended before a final state")


def pipeline_rate(platform: Platform, docs: list[str], collection: str) -> tuple[float, int]:
    with platform.client() as client:
        start = time.perf_counter()
        job_ids = [
            client.post(
                "/ingest-async",
                json={
                    "kind": "document",
                    "text": text,
                    "source": f"doc-{i}.md",
                    "collection": collection,
                    "create_collection": True,
                },
            ).json()["job_id"]
            for i, text in enumerate(docs)
        ]
        # The workers take the jobs in order: follow the last one's event stream rather than
        # poll, so the measuring adds no load to the machine it measures.
        wait_final(client, job_ids[-1])
        done = time.perf_counter()
        chunks = 0
        for job_id in job_ids:
            state = client.get(f"/jobs/{job_id}").json()
            if state["status"] not in ("succeeded", "failed", "cancelled"):
                state = wait_final(client, job_id)  # still running on another worker
                done = time.perf_counter()
            assert state["status"] == "succeeded", state
            chunks += state["result"]["chunks"]
        elapsed = done - start
        found = client.post("/search", json={"query": "return the value", "collection": collection})
        assert found.json()["results"], "ingested chunks must be searchable"
    return chunks / elapsed, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=60)
    parser.add_argument("--paragraphs", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="shield-workers (the role: 2)")
    parser.add_argument("--graph", action="store_true", help="with the knowledge graph on")
    args = parser.parse_args()
    texts = corpus((args.rounds + 1) * args.documents * args.paragraphs)
    chunker = Chunker()
    embedder = LocalEmbedder()
    # Cache off: every round must embed every chunk, like the baseline does.
    platform = Platform(
        Path(tempfile.mkdtemp()) / "ingest-bench",
        workers=args.workers,
        graph=args.graph,
        SHIELD_EMBEDDING_CACHE_SIZE="0",
    )
    pipeline, raw, graph_rates, raw_documents = [], [], [], []
    try:
        pipeline_rate(platform, documents(texts, args.rounds, 5, args.paragraphs), "warmup")
        if args.graph:
            with platform.client() as client:
                graph_done(client, "warmup")
        for round_no in range(args.rounds):
            docs = documents(texts, round_no, args.documents, args.paragraphs)
            rate, chunks = pipeline_rate(platform, docs, f"round{round_no}")
            searchable = time.perf_counter()
            pipeline.append(rate)
            if args.graph:
                with platform.client() as client:
                    caught_up = graph_done(client, f"round{round_no}")
                graph_rates.append(len(docs) / (caught_up - searchable) * 60)
            chunk_texts = [c for d in docs for c in chunker.split(d)]
            start = time.perf_counter()
            embedder.embed(chunk_texts)
            seconds = time.perf_counter() - start
            raw.append(len(chunk_texts) / seconds)
            raw_documents.append(len(docs) / seconds * 60)
            print(f"round {round_no}: {chunks} chunks, pipeline {rate:.1f}/s, raw {raw[-1]:.1f}/s")
            if graph_rates:
                print(
                    f"  graph caught up at {graph_rates[-1]:.0f} documents/min, embedding alone "
                    f"{raw_documents[-1]:.0f} documents/min"
                )
    finally:
        platform.stop()
    figures: dict[str, Any] = {
        "graph": args.graph,
        "documents_per_round": args.documents,
        "workers": args.workers,
        "pipeline_chunks_per_s": median(pipeline),
        "raw_embedding_chunks_per_s": median(raw),
        "ratio": median([p / r for p, r in zip(pipeline, raw, strict=True)]),
    }
    print(
        f"\nsearchable chunks/s {figures['pipeline_chunks_per_s']:.1f}, raw embedding "
        f"{figures['raw_embedding_chunks_per_s']:.1f}/s, ratio {figures['ratio']:.2f} (median)"
    )
    if graph_rates:
        figures["graph_documents_per_minute"] = median(graph_rates)
        figures["embedding_only_documents_per_minute"] = median(raw_documents)
        figures["graph_ratio"] = median(
            [g / r for g, r in zip(graph_rates, raw_documents, strict=True)]
        )
        print(
            f"graph catch-up {figures['graph_documents_per_minute']:.0f} documents/min, "
            f"embedding alone {figures['embedding_only_documents_per_minute']:.0f}, "
            f"ratio {figures['graph_ratio']:.2f} (median)"
        )
    save("ingest-graph" if args.graph else "ingest", figures)


if __name__ == "__main__":
    main()
