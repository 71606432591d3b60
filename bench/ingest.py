"""Documents -> searchable chunks per second, end to end through shield-api, Redis and one
shield-worker, against the raw throughput of the same embedding model measured in the same run
on the same chunk texts. Goal: ratio >= 0.85.

    python -m bench.ingest [--documents 60] [--paragraphs 12] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Platform, corpus, median, save
from shield.documents.chunking import Chunker
from shield.embeddings.local import LocalEmbedder


def documents(texts: list[str], round_no: int, count: int, paragraphs: int) -> list[str]:
    start = round_no * count * paragraphs
    return [
        "\n\n".join(texts[start + i * paragraphs : start + (i + 1) * paragraphs])
        for i in range(count)
    ]


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
                },
            ).json()["job_id"]
            for i, text in enumerate(docs)
        ]
        chunks = 0
        for job_id in job_ids:
            while True:
                state = client.get(f"/jobs/{job_id}").json()
                if state["status"] in ("succeeded", "failed", "cancelled"):
                    break
                time.sleep(0.05)
            assert state["status"] == "succeeded", state
            chunks += state["result"]["chunks"]
        elapsed = time.perf_counter() - start
        found = client.post("/search", json={"query": "return the value", "collection": collection})
        assert found.json()["results"], "ingested chunks must be searchable"
    return chunks / elapsed, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=60)
    parser.add_argument("--paragraphs", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = corpus((args.rounds + 1) * args.documents * args.paragraphs)
    chunker = Chunker()
    embedder = LocalEmbedder()
    # Cache off: every round must embed every chunk, like the baseline does.
    platform = Platform(
        Path(tempfile.mkdtemp()) / "ingest-bench", workers=1, SHIELD_EMBEDDING_CACHE_SIZE="0"
    )
    pipeline, raw = [], []
    try:
        pipeline_rate(platform, documents(texts, args.rounds, 5, args.paragraphs), "warmup")
        for round_no in range(args.rounds):
            docs = documents(texts, round_no, args.documents, args.paragraphs)
            rate, chunks = pipeline_rate(platform, docs, f"round{round_no}")
            pipeline.append(rate)
            chunk_texts = [c for d in docs for c in chunker.split(d)]
            start = time.perf_counter()
            embedder.embed(chunk_texts)
            raw.append(len(chunk_texts) / (time.perf_counter() - start))
            print(f"round {round_no}: {chunks} chunks, pipeline {rate:.1f}/s, raw {raw[-1]:.1f}/s")
    finally:
        platform.stop()
    figures: dict[str, Any] = {
        "documents_per_round": args.documents,
        "pipeline_chunks_per_s": median(pipeline),
        "raw_embedding_chunks_per_s": median(raw),
        "ratio": median([p / r for p, r in zip(pipeline, raw, strict=True)]),
    }
    print(
        f"\nsearchable chunks/s {figures['pipeline_chunks_per_s']:.1f}, raw embedding "
        f"{figures['raw_embedding_chunks_per_s']:.1f}/s, ratio {figures['ratio']:.2f} (median)"
    )
    save("ingest", figures)


if __name__ == "__main__":
    main()
