"""Retrieval quality on a BEIR-format test collection, through the whole platform.

The corpus is ingested by jobs (shield-api, shield-worker: chunking, embedding, the lexical
index) and every judged query is searched in every mode with results grouped by document, as
`shield eval` does. Beside them, measured in the same run over whole documents: BM25 (bm25s,
English stopwords, Snowball stemmer) and exact search with Shield's own embedding model. Goals:
the default mode reaches nDCG@10 >= 0.45 on CISI, and each mode does at least as well as the
single retriever it corresponds to (lexical: BM25, dense: exact dense, hybrid: the better one).

    python -m bench.retrieval [DATASET] [--workers 2] [--write-docs]

DATASET defaults to ../shared/datasets/cisi beside the checkout where it exists; any BEIR folder a
user downloads works. --write-docs puts the table into docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import TOKEN, Platform, save
from shield.embeddings.local import LocalEmbedder
from shield.evaluation.baseline import bm25_run
from shield.evaluation.beir import Dataset, load
from shield.evaluation.measures import DEPTH, MEASURES, Run, evaluate
from shield.evaluation.runner import Evaluation
from shield.fields import SearchMode
from shield.net.service_client import ServiceClient, ServiceEndpoint
from shield.resilience import Breaker

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = ROOT.parent / "shared" / "datasets" / "cisi"
DOCS = ROOT / "docs" / "BENCHMARKS.md"
START, END = "<!-- retrieval:start -->", "<!-- retrieval:end -->"
LABELS = {
    "hybrid": "Shield, hybrid (the default)",
    "dense": "Shield, dense",
    "lexical": "Shield, lexical",
    "bm25_whole_documents": "BM25 (bm25s), whole documents",
    "dense_whole_documents": "Exact dense (all-MiniLM-L6-v2), whole documents",
}


def dense_run(dataset: Dataset, depth: int = DEPTH) -> Run:
    """Exact cosine search with Shield's model over whole documents (the model reads the first
    256 tokens of each, as it does of a chunk)."""
    embedder = LocalEmbedder(batch_size=32)
    ids = list(dataset.corpus)
    documents = embedder.embed([dataset.corpus[i].full_text for i in ids])
    query_ids = list(dataset.queries)
    queries = embedder.embed([dataset.queries[q] for q in query_ids])
    run: Run = {}
    for query_id, vector in zip(query_ids, queries, strict=True):
        scores = documents @ vector
        best = np.argsort(-scores)[:depth]
        run[query_id] = {ids[i]: float(scores[i]) for i in best}
    return run


def measure(dataset: Dataset, workers: int) -> dict[str, Any]:
    platform = Platform(Path(tempfile.mkdtemp()) / "retrieval-bench", workers=workers)
    endpoint = ServiceEndpoint("api", "shield-api", platform.url, TOKEN, 120)
    api = ServiceClient(endpoint, Breaker("bench", "api"))
    try:
        evaluation = Evaluation(api, dataset, "retrieval-bench")
        started = time.perf_counter()
        total = len(dataset.corpus)
        evaluation.ingest(lambda done: done % 200 == 0 and print(f"ingested {done}/{total}"))
        ingest_seconds = time.perf_counter() - started
        print(f"\n{evaluation.chunks} chunks in {ingest_seconds:.0f} s")
        results: dict[str, dict[str, float]] = {}
        latency: dict[str, float] = {}
        for mode in SearchMode:
            searched = evaluation.search(mode)
            results[mode.value] = evaluate(searched.run, dataset.qrels)
            latency[mode.value] = searched.median_ms
    finally:
        api.close()
        platform.stop()
    results["bm25_whole_documents"] = evaluate(bm25_run(dataset), dataset.qrels)
    results["dense_whole_documents"] = evaluate(dense_run(dataset), dataset.qrels)
    return {
        "dataset": dataset.name,
        "documents": len(dataset.corpus),
        "queries": len(dataset.queries),
        "chunks": evaluation.chunks,
        "ingest_seconds": round(ingest_seconds, 1),
        "results": results,
        "search_median_ms_over_http": latency,
    }


def table(figures: dict[str, Any]) -> str:
    lines = [
        f"{figures['dataset']}: {figures['documents']} documents ({figures['chunks']} chunks), "
        f"{figures['queries']} judged queries; Shield's rankings are by document (`group_by`).",
        "",
        "| ranking | " + " | ".join(MEASURES) + " |",
        "| --- | " + " | ".join("---" for _ in MEASURES) + " |",
    ]
    for name, row in figures["results"].items():
        cells = [f"{row[m]:.3f}" for m in MEASURES]
        label = LABELS[name]
        if name == "hybrid":
            label, cells = f"**{label}**", [f"**{c}**" for c in cells]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    docs = DOCS.read_text()
    section = f"{START}\n{text}\n{END}"
    if START in docs:
        docs = re.sub(f"{re.escape(START)}.*?{re.escape(END)}", lambda _: section, docs, flags=re.S)
    else:
        docs += f"\n## Retrieval quality (`python -m bench.retrieval`)\n\n{section}\n"
    DOCS.write_text(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if not args.dataset.is_dir():
        raise SystemExit(f"no dataset at {args.dataset}: give a BEIR folder")
    figures = measure(load(args.dataset), args.workers)
    text = table(figures)
    print(text)
    results = figures["results"]
    goals = {
        "hybrid nDCG@10 >= 0.45": results["hybrid"]["nDCG@10"] >= 0.45,
        "lexical >= BM25": results["lexical"]["nDCG@10"]
        >= results["bm25_whole_documents"]["nDCG@10"],
        "dense >= exact dense": results["dense"]["nDCG@10"]
        >= results["dense_whole_documents"]["nDCG@10"],
    }
    for goal, met in goals.items():
        print(f"{goal}: {'met' if met else 'NOT met'}")
    save("retrieval", {**figures, "goals": goals})
    if args.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
