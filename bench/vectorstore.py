"""Embedded vector store candidates on real MiniLM embeddings (the evidence behind ADR 0001).

For 10k and 100k points: recall@10 against exact search, search p50/p99 (query vector given),
load and index build times, for Qdrant Edge (`qdrant-edge-py`, before and after `optimize()`)
and for `qdrant-client`'s local mode, beside exact NumPy search as the baseline.

    python -m bench.vectorstore [--sizes 10000 100000] [--queries 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from qdrant_client import QdrantClient

from bench.common import median, percentile, save, search_dataset
from shield.vectorstore import PointRecord, VectorStore
from shield.vectorstore.edge import EdgeVectorStore
from shield.vectorstore.server import QdrantServerStore

BATCH = 1000


def load(store: VectorStore, vectors: np.ndarray) -> float:
    store.ensure_collection("bench", "all-MiniLM-L6-v2", vectors.shape[1])
    start = time.perf_counter()
    for offset in range(0, len(vectors), BATCH):
        store.upsert(
            "bench",
            [
                PointRecord(str(uuid.UUID(int=i + 1)), vectors[i].tolist(), {"n": i})
                for i in range(offset, min(offset + BATCH, len(vectors)))
            ],
        )
    return time.perf_counter() - start


def measure(
    search: Any, queries: np.ndarray, truth: list[set[int]], rounds: int
) -> dict[str, float]:
    p50s, p99s, recalls = [], [], []
    for _ in range(rounds):
        latencies, hits = [], 0
        for query, expected in zip(queries, truth, strict=True):
            start = time.perf_counter()
            found = search(query)
            latencies.append((time.perf_counter() - start) * 1000)
            hits += len(expected & set(found))
        p50s.append(percentile(latencies, 50))
        p99s.append(percentile(latencies, 99))
        recalls.append(hits / (10 * len(queries)))
    return {"p50_ms": median(p50s), "p99_ms": median(p99s), "recall_at_10": median(recalls)}


def store_search(store: VectorStore) -> Any:
    def run(query: np.ndarray) -> list[int]:
        return [uuid.UUID(hit.id).int - 1 for hit in store.search("bench", query.tolist(), 10)]

    return run


def bench_size(vectors: np.ndarray, queries: np.ndarray, rounds: int) -> dict[str, Any]:
    truth_scores = queries @ vectors.T
    truth = [set(np.argsort(-row)[:10].tolist()) for row in truth_scores]
    figures: dict[str, Any] = {}

    def exact(query: np.ndarray) -> list[int]:
        return np.argpartition(-(vectors @ query), 10)[:10].tolist()

    figures["numpy_exact"] = measure(exact, queries, truth, rounds)

    with tempfile.TemporaryDirectory() as tmp:
        edge = EdgeVectorStore(Path(tmp) / "edge")
        figures["edge_load_s"] = load(edge, vectors)
        figures["edge_unoptimized"] = measure(store_search(edge), queries, truth, rounds)
        start = time.perf_counter()
        edge.optimize()
        figures["edge_optimize_s"] = time.perf_counter() - start
        figures["edge_optimized"] = measure(store_search(edge), queries, truth, rounds)
        edge.close()

    local = QdrantServerStore(QdrantClient(location=":memory:"))
    figures["qdrant_local_load_s"] = load(local, vectors)
    figures["qdrant_local"] = measure(store_search(local), queries, truth, max(1, rounds // 3))
    local.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    _texts, vectors, queries = search_dataset(args.sizes, args.queries)
    results = {}
    for size in args.sizes:
        figures = bench_size(vectors[:size], queries, args.rounds)
        results[str(size)] = figures
        print(f"\n== {size} points, {args.queries} queries, median of {args.rounds} rounds ==")
        print(f"{'engine':<24}{'p50 ms':>9}{'p99 ms':>9}{'recall@10':>11}{'vs exact p50':>14}")
        base = figures["numpy_exact"]["p50_ms"]
        for name in ("numpy_exact", "edge_unoptimized", "edge_optimized", "qdrant_local"):
            row = figures[name]
            print(
                f"{name:<24}{row['p50_ms']:>9.3f}{row['p99_ms']:>9.3f}"
                f"{row['recall_at_10']:>11.3f}{row['p50_ms'] / base:>13.2f}x"
            )
        print(
            f"load: edge {figures['edge_load_s']:.1f} s (+ optimize "
            f"{figures['edge_optimize_s']:.1f} s), "
            f"qdrant local {figures['qdrant_local_load_s']:.1f} s"
        )
    save("vectorstore", {"queries": args.queries, "rounds": args.rounds, "sizes": results})


if __name__ == "__main__":
    main()
