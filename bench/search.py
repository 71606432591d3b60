"""Search latency and the 202 answer of /ingest-async.

1. Search p50/p99 at 10k and 100k chunks through shield-api's own search path
   (`DocumentIndex.search`: checks, circuit breaker, embedded Qdrant Edge store), excluding
   query embedding, in each mode (dense, lexical, hybrid), with and without a metadata filter
   (on a field its writes indexed, and on a nested one they did not);
   exact NumPy search over the same vectors is the baseline. Goals: dense p99 <= 5 ms and
   hybrid p99 <= 10 ms at 100k.
2. The p99 of `POST /ingest-async` (202) at 50 concurrent clients against a running shield-api,
   beside `GET /healthz` at the same concurrency as the baseline. Goal: p99 <= 50 ms.

    python -m bench.search [--sizes 10000 100000] [--clients 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import (
    RESULTS,
    TOKEN,
    Platform,
    corpus,
    median,
    percentile,
    save,
    search_dataset,
)
from shield.documents.identity import content_hash, document_id
from shield.documents.index import DocumentIndex, Search
from shield.documents.models import ChunkIn, DocumentWrite
from shield.embeddings.base import Embedder
from shield.fields import SearchMode
from shield.resilience import Breaker
from shield.vectorstore import Match
from shield.vectorstore.edge import EdgeVectorStore

CHUNKS_PER_DOCUMENT = 10


class _NoEmbedder(Embedder):
    """The index needs an embedder's name and dimension; the bench passes query vectors."""

    model_name = "all-MiniLM-L6-v2"
    dimension = 384

    def embed(self, texts: Any) -> Any:
        raise AssertionError("query embedding is excluded from this benchmark")


def search_latency(
    texts: list[str],
    vectors: np.ndarray,
    query_texts: list[str],
    queries: np.ndarray,
    rounds: int,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        store = EdgeVectorStore(Path(tmp))
        index = DocumentIndex(store, _NoEmbedder(), Breaker("bench", "vector_store"))
        for start in range(0, len(vectors), CHUNKS_PER_DOCUMENT):
            source = f"doc-{start // CHUNKS_PER_DOCUMENT}.md"
            chunk_texts = texts[start : start + CHUNKS_PER_DOCUMENT]
            index.replace(
                "bench",
                document_id("bench", source),
                DocumentWrite(
                    source=source,
                    content_hash=content_hash("".join(chunk_texts)),
                    embedding_model="all-MiniLM-L6-v2",
                    # `owner.site` is nested: not indexed by the write (top-level fields are).
                    metadata={
                        "team": f"team-{start % 7}",
                        "owner": {"site": f"site-{start % 7}"},
                    },
                    chunks=[
                        ChunkIn(text=t, vector=v.tolist())
                        for t, v in zip(chunk_texts, vectors[start : start + 10], strict=True)
                    ],
                ),
            )
        store.optimize()  # what the API's background optimizer does after bulk loads

        def run(mode: SearchMode, where: list[Match]) -> dict[str, float]:
            p50s, p99s = [], []
            for _ in range(rounds):
                latencies = []
                for text, query in zip(query_texts, queries, strict=True):
                    start = time.perf_counter()
                    search = Search(query=text, mode=mode, limit=10, where=where)
                    index.search("bench", search, vector=query.tolist())
                    latencies.append((time.perf_counter() - start) * 1000)
                p50s.append(percentile(latencies, 50))
                p99s.append(percentile(latencies, 99))
            return {"p50_ms": median(p50s), "p99_ms": median(p99s)}

        team = [Match("metadata.team", ("team-3",))]
        site = [Match("metadata.owner.site", ("site-3",))]  # a reader's filter, no index
        figures = {
            "shield_search": run(SearchMode.DENSE, []),
            "shield_search_filtered": run(SearchMode.DENSE, team),
            "shield_search_unindexed": run(SearchMode.DENSE, site),
            "shield_lexical": run(SearchMode.LEXICAL, []),
            "shield_hybrid": run(SearchMode.HYBRID, []),
            "shield_hybrid_filtered": run(SearchMode.HYBRID, team),
            "shield_hybrid_unindexed": run(SearchMode.HYBRID, site),
        }
        store.close()
    exact = []
    for _ in range(rounds):
        latencies = []
        for query in queries:
            start = time.perf_counter()
            np.argpartition(-(vectors @ query), 10)[:10]
            latencies.append((time.perf_counter() - start) * 1000)
        exact.append((percentile(latencies, 50), percentile(latencies, 99)))
    figures["numpy_exact"] = {
        "p50_ms": median([e[0] for e in exact]),
        "p99_ms": median([e[1] for e in exact]),
    }
    return figures


async def _clients(
    url: str, method: str, path: str, body: Any, clients: int, per: int, pause: float
) -> list[float]:
    """`clients` concurrent clients, each sending `per` requests, `pause` seconds apart."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as http:

        async def client(offset: float) -> None:
            await asyncio.sleep(offset)  # spread the paced clients over one period
            for _ in range(per):
                start = time.perf_counter()
                response = await http.request(method, path, json=body)
                latencies.append((time.perf_counter() - start) * 1000)
                assert response.status_code in (200, 202), response.text
                if pause:
                    await asyncio.sleep(pause)

        await asyncio.gather(*(client(pause * i / clients) for i in range(clients)))
    return latencies


WRK_SCRIPT = """
wrk.method = "{method}"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def _wrk(url: str, method: str, path: str, body: Any, clients: int) -> dict[str, float]:
    """Saturating load from wrk, a C load generator: a Python client tops out first here."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            WRK_SCRIPT.format(method=method, body=json.dumps(body) if body else "", token=TOKEN)
        )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", "-d10s", "--latency", "-s", script.name, url + path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        assert value, out
        return float(value[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[value[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate, out
    assert "Non-2xx" not in out, out
    return {"p50_ms": ms("50%"), "p99_ms": ms("99%"), "requests_per_s": float(rate[1])}


def ingest_latency(clients: int, rounds: int) -> dict[str, Any]:
    """Saturated (wrk, if installed): every connection sends its next request as soon as the last
    is answered, so latency is connections / throughput. Paced: each of the clients submits every
    0.5 s (an agent's pace), measured with httpx."""
    platform = Platform(Path(tempfile.mkdtemp()) / "search-bench", workers=0)
    try:
        body = {"kind": "document", "text": "A short note to queue.", "source": "note.md"}
        figures: dict[str, Any] = {}
        targets = (
            ("healthz", "GET", "/healthz", None),
            ("ingest_async", "POST", "/ingest-async", body),
        )
        if shutil.which("wrk"):
            for name, method, path, payload in targets:
                runs = [_wrk(platform.url, method, path, payload, clients) for _ in range(rounds)]
                figures[f"saturated_{name}"] = {
                    key: median([r[key] for r in runs]) for key in runs[0]
                }
        for load, per, pause in (("paced", 10, 0.5),):
            for name, method, path, payload in targets:
                asyncio.run(_clients(platform.url, method, path, payload, clients, 2, 0))  # warm
                p50s, p99s, rates = [], [], []
                for _ in range(rounds):
                    start = time.perf_counter()
                    latencies = asyncio.run(
                        _clients(platform.url, method, path, payload, clients, per, pause)
                    )
                    rates.append(len(latencies) / (time.perf_counter() - start))
                    p50s.append(percentile(latencies, 50))
                    p99s.append(percentile(latencies, 99))
                figures[f"{load}_{name}"] = {
                    "p50_ms": median(p50s),
                    "p99_ms": median(p99s),
                    "requests_per_s": median(rates),
                }
        return figures
    finally:
        platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--only-ingest", action="store_true", help="Skip the search part.")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts, vectors, queries = search_dataset(args.sizes, args.queries)
    query_texts = corpus(max(args.sizes) + args.queries)[max(args.sizes) :]
    results: dict[str, Any] = {"search": {}}
    previous = RESULTS / "search.json"
    if previous.exists():  # keep the figures of sizes this run does not measure
        results["search"] = json.loads(previous.read_text()).get("search", {})
    for size in [] if args.only_ingest else args.sizes:
        figures = search_latency(texts[:size], vectors[:size], query_texts, queries, args.rounds)
        results["search"][str(size)] = figures
        print(f"\n== search, {size} chunks, excluding query embedding (median of {args.rounds}) ==")
        for name, row in figures.items():
            ratio = row["p50_ms"] / figures["numpy_exact"]["p50_ms"]
            print(
                f"{name:<26}p50 {row['p50_ms']:7.3f} ms  p99 {row['p99_ms']:7.3f} ms"
                f"  ({ratio:.2f}x exact p50)"
            )
    figures = ingest_latency(args.clients, args.rounds)
    results["ingest_async"] = {"clients": args.clients, **figures}
    print(f"\n== {args.clients} concurrent clients, median of {args.rounds} rounds ==")
    for name, row in figures.items():
        print(
            f"{name:<26}p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:7.2f} ms"
            f"  {row['requests_per_s']:7.0f} req/s"
        )
    for load in ("saturated", "paced"):
        if f"{load}_healthz" not in figures:
            continue
        ratio = figures[f"{load}_ingest_async"]["p99_ms"] / figures[f"{load}_healthz"]["p99_ms"]
        print(f"{load}: 202 p99 / healthz p99 = {ratio:.2f}")
    save("search", results)


if __name__ == "__main__":
    main()
