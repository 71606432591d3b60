"""Documents: seconds per document and per page for each format (Docling, offline), and
documents -> searchable chunks per second end to end (upload -> convert -> chunk -> embed ->
store) against the raw throughput of the same embedding model on the same chunk texts, measured
in the same run.

    python -m bench.documents [--sections 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Platform, corpus, median, save
from shield.documents.conversion import ConvertOptions
from shield.documents.convert import convert, warm_up
from shield.embeddings.local import LocalEmbedder
from support.documents import EXTENSIONS, WRITERS, Document, Section, write

FORMATS = [fmt for fmt in WRITERS if fmt != "csv"]  # a table, not a document of sections


def document(texts: list[str], count: int, offset: int) -> Document:
    """`count` sections of three corpus paragraphs and a small table each, every other table
    without ruling lines (in a PDF)."""
    sections = []
    for i in range(count):
        paras = tuple(texts[offset + i * 3 : offset + i * 3 + 3])
        rows = [(f"key {i}.{r}", " ".join(paras[r].split()[:4])) for r in range(3)]
        heading = f"Section {i + 1}: {' '.join(paras[0].split()[:5])}"
        sections.append(Section(heading, paras, (("Key", "Value"), *rows), ruled=i % 2 == 0))
    return Document(f"Benchmark document at {offset}", tuple(sections))


def conversion_figures(
    files: dict[str, bytes], rounds: int, options: ConvertOptions
) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    for fmt, data in files.items():
        name = f"bench.{EXTENSIONS.get(fmt, fmt)}"
        times, result = [], None
        for _ in range(rounds):
            start = time.perf_counter()
            result = convert(data, name, fmt, options)
            times.append(time.perf_counter() - start)
        assert result is not None
        seconds = median(times)
        figures[fmt] = {
            "bytes": len(data),
            "pages": result.pages,
            "chunks": len(result.chunks),
            "seconds_per_document": seconds,
            "seconds_per_page": seconds / result.pages if result.pages else None,
        }
        per_page = f"{seconds / result.pages * 1000:7.1f}" if result.pages else "      -"
        print(
            f"{fmt:9} {len(data):>9} B {result.pages:>4} pages {len(result.chunks):>4} chunks "
            f"{seconds * 1000:8.1f} ms/doc {per_page} ms/page"
        )
    return figures


def pipeline_rate(
    platform: Platform, files: dict[str, bytes], collection: str
) -> tuple[float, int]:
    with platform.client() as client:
        start = time.perf_counter()
        job_ids = []
        for fmt, data in files.items():
            response = client.post(
                "/ingest-async/upload",
                files={"file": (f"{collection}.{EXTENSIONS.get(fmt, fmt)}", data)},
                data={"collection": collection, "create_collection": "true"},
            )
            assert response.status_code == 202, response.text
            job_ids.append(response.json()["job_id"])
        chunks = 0
        for job_id in job_ids:
            while (state := client.get(f"/jobs/{job_id}").json())["status"] not in (
                "succeeded",
                "failed",
            ):
                time.sleep(0.05)
            assert state["status"] == "succeeded", state
            chunks += state["result"]["chunks"]
        elapsed = time.perf_counter() - start
    return chunks / elapsed, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sections", type=int, default=40, help="sections per document")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = corpus((args.rounds + 2) * len(FORMATS) * args.sections * 3)
    options = ConvertOptions()
    warm_up(options)

    def file_set(round_no: int) -> dict[str, bytes]:
        base = round_no * len(FORMATS) * args.sections * 3
        return {
            fmt: write(fmt, document(texts, args.sections, base + i * args.sections * 3))
            for i, fmt in enumerate(FORMATS)
        }

    print(
        f"conversion, one document of {args.sections} sections per format (median of {args.rounds})"
    )
    formats = conversion_figures(file_set(0), args.rounds, options)

    embedder = LocalEmbedder()
    platform = Platform(
        Path(tempfile.mkdtemp()) / "documents-bench", workers=1, SHIELD_EMBEDDING_CACHE_SIZE="0"
    )
    pipeline, raw = [], []
    try:
        pipeline_rate(platform, file_set(args.rounds + 1), "warmup")  # the converter starts
        for round_no in range(1, args.rounds + 1):
            files = file_set(round_no)
            rate, chunks = pipeline_rate(platform, files, f"round{round_no}")
            pipeline.append(rate)
            chunk_texts = [
                c.text
                for fmt, data in files.items()
                for c in convert(data, f"x.{EXTENSIONS.get(fmt, fmt)}", fmt, options).chunks
            ]
            start = time.perf_counter()
            embedder.embed(chunk_texts)
            raw.append(len(chunk_texts) / (time.perf_counter() - start))
            print(f"round {round_no}: {chunks} chunks, pipeline {rate:.1f}/s, raw {raw[-1]:.1f}/s")
    finally:
        platform.stop()
    figures: dict[str, Any] = {
        "sections_per_document": args.sections,
        "formats": formats,
        "pipeline_chunks_per_s": median(pipeline),
        "raw_embedding_chunks_per_s": median(raw),
        "ratio": median([p / r for p, r in zip(pipeline, raw, strict=True)]),
    }
    print(
        f"\nsearchable chunks/s {figures['pipeline_chunks_per_s']:.1f}, raw embedding "
        f"{figures['raw_embedding_chunks_per_s']:.1f}/s, ratio {figures['ratio']:.2f} (median)"
    )
    save("documents", figures)


if __name__ == "__main__":
    main()
