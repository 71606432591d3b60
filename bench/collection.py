"""A whole collection with the knowledge graph on, as a user would ingest it on `make up`'s
defaults (two workers, shield-lightrag offline): a BEIR corpus, one ingest job per document,
timed until every document is searchable, then until the graph holds every one. Beside it, in
the same run, the same corpus with the graph off. Goal: the graph's run, end to end, in under
10 minutes for CISI's 1,460 abstracts.

    python -m bench.collection DATASET_DIR [--workers 2] [--no-baseline]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import TOKEN, Platform, save
from shield.evaluation.beir import Dataset, load
from shield.evaluation.runner import Evaluation
from shield.net.service_client import ServiceClient, ServiceEndpoint
from shield.resilience import Breaker

COLLECTION = "collection-bench"
GRAPH_TIMEOUT = 3600.0


def graph_states(platform: Platform) -> Counter[str]:
    with platform.client() as client:
        listing = client.get("/documents", params={"collection": COLLECTION}).json()
    return Counter(str(d.get("graph")) for d in listing["documents"])


def run(dataset: Dataset, workers: int, graph: bool) -> dict[str, Any]:
    platform = Platform(Path(tempfile.mkdtemp()) / "collection-bench", workers=workers, graph=graph)
    endpoint = ServiceEndpoint("api", "shield-api", platform.url, TOKEN, 120)
    api = ServiceClient(endpoint, Breaker("bench", "api"))
    total = len(dataset.corpus)
    label = "graph on" if graph else "graph off"
    try:
        evaluation = Evaluation(api, dataset, COLLECTION)
        started = time.perf_counter()

        def progress(done: int) -> None:
            if done % 200 == 0:
                print(f"{label}: {done}/{total}")

        evaluation.ingest(progress)
        searchable = time.perf_counter() - started
        print(f"{label}: {total} documents searchable after {searchable:.0f} s")
        figures: dict[str, Any] = {"chunks": evaluation.chunks, "searchable_s": searchable}
        if graph:
            while (states := graph_states(platform))["pending"] and (
                time.perf_counter() - started < GRAPH_TIMEOUT
            ):
                time.sleep(2)
            figures["in_graph_s"] = time.perf_counter() - started
            figures["graph_states"] = dict(states)
            print(f"{label}: the graph holds them after {figures['in_graph_s']:.0f} s ({states})")
    finally:
        api.close()
        platform.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path, help="a BEIR folder (corpus.jsonl, ...)")
    parser.add_argument("--workers", type=int, default=2, help="the workers role deploys 2 a host")
    parser.add_argument("--no-baseline", action="store_true", help="skip the graph-off run")
    args = parser.parse_args()
    dataset = load(args.dataset)
    figures: dict[str, Any] = {
        "dataset": dataset.name,
        "documents": len(dataset.corpus),
        "workers": args.workers,
        "graph_on": run(dataset, args.workers, graph=True),
    }
    if not args.no_baseline:
        figures["graph_off"] = run(dataset, args.workers, graph=False)
    on = figures["graph_on"]
    print(
        f"\n{figures['documents']} documents, {on['chunks']} chunks, {args.workers} workers: "
        f"graph on: searchable {on['searchable_s']:.0f} s, in the graph {on['in_graph_s']:.0f} s"
        + (
            f"; graph off: searchable {figures['graph_off']['searchable_s']:.0f} s"
            if "graph_off" in figures
            else ""
        )
    )
    save("collection", figures)


if __name__ == "__main__":
    main()
