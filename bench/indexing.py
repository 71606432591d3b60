"""Stalls while the embedded store builds its HNSW index.

Qdrant Edge's `optimize()` holds Python's GIL while it builds, so run in shield-api's own
process it stalled every request; the store now builds in a child process on a copy of the
collection and swaps it in (`shield.vectorstore.indexbuild`). Two measures, median of the rounds:

1. In the store: a search every 10 ms from another thread while a collection of N points (dense
   and lexical vectors) is indexed, run in this process as before (the baseline) and in a child
   process as now. Each search's latency counts from when it was due, so a stall shows whole.
2. Through shield-api: searches (`POST /search`, query embedding included) and 202s
   (`POST /ingest-async`) from paced clients while the background indexer builds the index of a
   collection of N points, beside the same clients while nothing is built. Goal: p99 <= 100 ms.

    python -m bench.indexing [--points 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import TOKEN, Platform, median, percentile, save
from shield.fields import SearchMode
from shield.vectorstore import PointRecord
from shield.vectorstore.base import StoreQuery
from shield.vectorstore.edge import BUILDING, EdgeVectorStore

COLLECTION = "bench"
DIMENSION = 384
PROBE_SECONDS = 0.01
BATCH = 1000


def build_collection(root: Path, points: int) -> None:
    """`points` random unit vectors with short texts (for the lexical index), unindexed."""
    store = EdgeVectorStore(root)
    store.create_collection(COLLECTION, "all-MiniLM-L6-v2", DIMENSION)
    rng = np.random.default_rng(7)
    for start in range(0, points, BATCH):
        vectors = rng.standard_normal((min(BATCH, points - start), DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.upsert(
            COLLECTION,
            [
                PointRecord(
                    str(uuid.UUID(int=start + i + 1)),
                    v.tolist(),
                    {"text": f"passage {start + i} on topic {(start + i) % 97}"},
                )
                for i, v in enumerate(vectors)
            ],
        )
    store.close()


def _probe_while(build: Callable[[], object], search: Callable[[], object]) -> dict[str, float]:
    """Run `build`; meanwhile search every PROBE_SECONDS from another thread."""
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        due = time.perf_counter()
        while not done.is_set():
            search()
            latencies.append((time.perf_counter() - due) * 1000)
            due = max(due + PROBE_SECONDS, time.perf_counter())
            time.sleep(max(0.0, due - time.perf_counter()))

    thread = threading.Thread(target=probe)
    start = time.perf_counter()
    thread.start()
    build()
    seconds = time.perf_counter() - start
    done.set()
    thread.join()
    return {
        "build_s": seconds,
        "searches": len(latencies),
        "p99_ms": percentile(latencies, 99),
        "longest_ms": max(latencies),
    }


def store_round(seed: Path, work: Path) -> dict[str, dict[str, float]]:
    query = StoreQuery(SearchMode.HYBRID, vector=[1.0] + [0.0] * (DIMENSION - 1), text="topic 5")
    figures = {}
    for variant in ("in_process", "child_process"):
        root = work / variant
        shutil.copytree(seed, root)
        store = EdgeVectorStore(root)
        shard = store._shard(COLLECTION)  # opened before the clock starts
        build: Callable[[], object]
        if variant == "in_process":
            build = shard.optimize  # how shield-api built the index before
        else:
            store._written[COLLECTION] = 1  # as after a write; then the store's own optimize()
            build = store.optimize
        figures[variant] = _probe_while(build, partial(store.search, COLLECTION, query))
        store.close()
        shutil.rmtree(root)
    return figures


async def _paced(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], stop: asyncio.Event
) -> list[float]:
    latencies = []
    while not stop.is_set():
        start = time.perf_counter()
        response = await http.post(path, json=body)
        assert response.status_code in (200, 202), response.text
        latencies.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - start)))
    return latencies


async def _clients(url: str, until: Callable[[], bool]) -> dict[str, float]:
    """Two searchers and two submitters, each 10 requests a second, until `until()`."""
    search: dict[str, Any] = {"query": "topic 5", "collection": COLLECTION, "mode": "dense"}
    submit: dict[str, Any] = {"kind": "document", "text": "A note to queue.", "source": "note.md"}
    stop = asyncio.Event()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
        paced: list[tuple[str, dict[str, Any]]] = [("/search", search), ("/search", search)]
        paced += [("/ingest-async", submit), ("/ingest-async", submit)]
        tasks = [asyncio.create_task(_paced(http, path, body, stop)) for path, body in paced]
        while not until():  # noqa: ASYNC110 - a condition on the file system: no event tells
            await asyncio.sleep(0.2)
        stop.set()
        searches = (await tasks[0]) + (await tasks[1])
        accepted = (await tasks[2]) + (await tasks[3])
    return {
        "search_p99_ms": percentile(searches, 99),
        "search_longest_ms": max(searches),
        "accept_p99_ms": percentile(accepted, 99),
        "accept_longest_ms": max(accepted),
    }


def api_round(seed: Path, work: Path) -> dict[str, dict[str, float]]:
    platform = Platform(
        work / "platform",
        workers=0,
        seed_data=seed,
        SHIELD_INDEX_MIN_POINTS="1",
        SHIELD_INDEX_IDLE_SECONDS="0",
    )
    collection = platform.root / "data" / "collections" / COLLECTION
    try:
        with platform.client() as client:
            client.post(  # warms the query embedder up
                "/search", json={"query": "warm", "collection": COLLECTION, "mode": "dense"}
            ).raise_for_status()
            quiet_until = time.monotonic() + 20
            idle = asyncio.run(_clients(platform.url, lambda: time.monotonic() > quiet_until))
            # One write makes the collection due; the indexer then builds its whole index.
            client.post(
                "/store", json={"text": "one more passage", "collection": COLLECTION}
            ).raise_for_status()
            deadline = time.monotonic() + 60
            while not (collection / BUILDING).exists():
                assert time.monotonic() < deadline, "the background indexer never started"
                time.sleep(0.05)
            building = asyncio.run(
                _clients(platform.url, lambda: not (collection / BUILDING).exists())
            )
    finally:
        platform.stop()
    return {"idle": idle, "while_indexing": building}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed" / "collections"
        print(f"building a collection of {args.points} points ...", flush=True)
        build_collection(seed, args.points)
        rounds = []
        for number in range(args.rounds):
            work = Path(tmp) / f"round-{number}"
            rounds.append({"store": store_round(seed, work), "api": api_round(seed.parent, work)})
            print(f"round {number + 1}: {rounds[-1]}", flush=True)

    def med(*keys: str) -> float:
        values = []
        for r in rounds:
            value: Any = r
            for key in keys:
                value = value[key]
            values.append(value)
        return median(values)

    figures = {
        "points": args.points,
        "rounds": args.rounds,
        "store": {
            variant: {key: med("store", variant, key) for key in rounds[0]["store"][variant]}
            for variant in ("in_process", "child_process")
        },
        "api": {
            phase: {key: med("api", phase, key) for key in rounds[0]["api"][phase]}
            for phase in ("idle", "while_indexing")
        },
    }
    save("indexing", figures)
    store, api = figures["store"], figures["api"]
    print(f"\n{args.points} points, median of {args.rounds} rounds")
    print("| index built | build s | search p99 ms | longest stall ms |")
    print("| --- | --- | --- | --- |")
    for variant, label in (("in_process", "in shield-api (before)"), ("child_process", "child")):
        row = store[variant]
        print(f"| {label} | {row['build_s']:.1f} | {row['p99_ms']:.1f} | {row['longest_ms']:.0f} |")
    print("\n| through shield-api | search p99 | longest | 202 p99 | longest |")
    print("| --- | --- | --- | --- | --- |")
    for phase in ("idle", "while_indexing"):
        row = api[phase]
        print(
            f"| {phase} | {row['search_p99_ms']:.1f} | {row['search_longest_ms']:.0f} | "
            f"{row['accept_p99_ms']:.1f} | {row['accept_longest_ms']:.0f} |"
        )


if __name__ == "__main__":
    main()
