"""The knowledge graph without an LLM: documents per minute into shield-lightrag (offline
extraction, LightRAG's graph and vector stores), sent as the graph feeder sends them (batches,
each chunk with the vector the vector store holds), against the embedding of the same chunks
alone (what made those vectors), measured in the same run; and query p50/p99 per mode, against a
single query embedding.

    python -m bench.graph [--documents 100] [--batch 32] [--queries 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import corpus, median, percentile, save
from shield.embeddings.local import LOCAL_MODEL_NAME, LocalEmbedder
from shield.graph.vectors import encode_vector
from shield.graph_service.extractor import OfflineExtractor
from support.services import GraphProcess

MODES = ("naive", "local", "global", "hybrid", "mix")


def documents(texts: list[str], count: int, offset: int) -> list[list[str]]:
    """`count` documents of three paragraphs (three chunks) each."""
    return [texts[offset + i * 3 : offset + i * 3 + 3] for i in range(count)]


def insert_rate(
    client: httpx.Client, docs: list[list[str]], vectors: Any, collection: str, batch: int
) -> float:
    """Documents per minute sent as shield-api's graph feeder sends them: `batch` at a time,
    each chunk with its vector from the vector store."""
    encoded = iter([encode_vector(v) for v in vectors])
    sent = [
        {
            "document_id": f"doc-{i}",
            "chunks": chunks,
            "vectors": [next(encoded) for _ in chunks],
            "model": LOCAL_MODEL_NAME,
        }
        for i, chunks in enumerate(docs)
    ]
    started = time.perf_counter()
    for first in range(0, len(docs), batch):
        body = {"documents": sent[first : first + batch]}
        response = client.post(f"/collections/{collection}/batch", json=body)
        response.raise_for_status()
        assert all(r["status"] == "stored" for r in response.json()["results"].values())
    return len(docs) / (time.perf_counter() - started) * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--batch", type=int, default=32, help="documents per call (the feeder's default: 32)"
    )
    args = parser.parse_args()
    texts = corpus((args.rounds + 1) * args.documents * 3 + args.queries)
    questions = texts[-args.queries :]
    embedder = LocalEmbedder()
    extractor = OfflineExtractor()
    root = Path(tempfile.mkdtemp())
    graph = GraphProcess(root / "graph", root / "graph.log")
    inserted, baseline = [], []
    latencies: dict[str, list[float]] = {mode: [] for mode in MODES}
    embed_query: list[float] = []
    try:
        with graph.client() as client:
            for round_no in range(args.rounds):
                docs = documents(texts, args.documents, round_no * args.documents * 3)
                chunks = [c for d in docs for c in d]
                started = time.perf_counter()
                vectors = embedder.embed(chunks)
                baseline.append(len(docs) / (time.perf_counter() - started) * 60)
                inserted.append(insert_rate(client, docs, vectors, f"round{round_no}", args.batch))
                print(
                    f"round {round_no}: graph {inserted[-1]:.0f} documents/min, "
                    f"embedding alone {baseline[-1]:.0f} documents/min"
                )
            for question in questions:
                words = " ".join(question.split()[:12])
                started = time.perf_counter()
                embedder.embed([words])
                embed_query.append(time.perf_counter() - started)
                for mode in MODES:
                    started = time.perf_counter()
                    client.post(
                        "/query", json={"query": words, "mode": mode, "collection": "round0"}
                    ).raise_for_status()
                    latencies[mode].append(time.perf_counter() - started)
    finally:
        graph.stop()
        shutil.rmtree(root, ignore_errors=True)
    sample = texts[0]
    started = time.perf_counter()
    for _ in range(20):
        extractor.extract(sample)
    extract_ms = (time.perf_counter() - started) / 20 * 1000
    figures: dict[str, Any] = {
        "documents_per_round": args.documents,
        "documents_per_batch": args.batch,
        "chunks_per_document": 3,
        "graph_documents_per_minute": median(inserted),
        "embedding_only_documents_per_minute": median(baseline),
        "ratio": median([g / b for g, b in zip(inserted, baseline, strict=True)]),
        "offline_extraction_ms_per_chunk": extract_ms,
        "query_embedding_p50_ms": percentile(embed_query, 50) * 1000,
        "queries": {
            mode: {
                "p50_ms": percentile(values, 50) * 1000,
                "p99_ms": percentile(values, 99) * 1000,
            }
            for mode, values in latencies.items()
        },
    }
    print(
        f"\ngraph {figures['graph_documents_per_minute']:.0f} documents/min, embedding alone "
        f"{figures['embedding_only_documents_per_minute']:.0f}, ratio {figures['ratio']:.2f}; "
        f"offline extraction {extract_ms:.1f} ms per chunk"
    )
    for mode, row in figures["queries"].items():
        print(f"{mode:7} p50 {row['p50_ms']:.1f} ms p99 {row['p99_ms']:.1f} ms")
    print(f"(one query embedding: p50 {figures['query_embedding_p50_ms']:.1f} ms)")
    save("graph", figures)


if __name__ == "__main__":
    main()
