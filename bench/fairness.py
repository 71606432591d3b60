"""A small upload is not held up by a large one: a one-page text submitted once a 10 MB DOCX has
started, timed from its submission until a search finds it. Measured in the same run with one
worker that takes everything (the one worker `make up` ran before the interactive lane: the
page waits for the DOCX) and with the interactive lane's worker beside it (the workers role's
default). Goal: searchable within 10 s.

    python -m bench.fairness [--rounds 3] [--paragraphs 3000] [--megabytes 10]
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import docx
import httpx
from PIL import Image

from bench.common import Platform, corpus, median, save

FINAL = ("succeeded", "failed", "cancelled")


def large_docx(paragraphs: list[str], megabytes: float, seed: int) -> bytes:
    """A report of `paragraphs` with photographs (noise: they do not compress) up to the size."""
    document = docx.Document()
    document.add_heading(f"Annual maintenance report {seed}", 0)  # a new document each round
    for index, text in enumerate(paragraphs):
        if index % 50 == 0:
            document.add_heading(f"Section {index // 50 + 1}", 1)
        document.add_paragraph("".join(c for c in text if c.isprintable()))
    rng = random.Random(seed)
    while True:
        out = io.BytesIO()
        document.save(out)
        if out.tell() >= megabytes * 1024 * 1024:
            return out.getvalue()
        picture = io.BytesIO()
        noise = Image.frombytes("RGB", (600, 600), rng.randbytes(600 * 600 * 3))
        noise.save(picture, format="PNG")
        picture.seek(0)
        document.add_picture(picture)


def wait_status(client: httpx.Client, job_id: str, wanted: tuple[str, ...]) -> dict[str, Any]:
    while True:
        state: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        if state["status"] in wanted:
            return state
        time.sleep(0.1)


def one_round(
    platform: Platform, paragraphs: list[str], megabytes: float, round_no: int
) -> dict[str, float]:
    docx_bytes = large_docx(paragraphs, megabytes, seed=round_no)
    word = f"kittiwake{round_no}x{random.randrange(10**6)}"
    page = (
        f"# Harbour notice {round_no}\n\nThe {word} ferry leaves the north pier at seven; "
        "passengers with bicycles board first and the café opens at half past six."
    )
    with platform.client() as client:
        upload = client.post(
            "/ingest-async/upload",
            files={"file": ("report.docx", docx_bytes)},
            data={"collection": "reports", "create_collection": "true"},
        )
        assert upload.status_code == 202, upload.text
        bulk_id = upload.json()["job_id"]
        bulk_started = time.perf_counter()
        wait_status(client, bulk_id, ("running", *FINAL))
        submitted = time.perf_counter()
        accepted = client.post(
            "/ingest-async", json={"kind": "document", "text": page, "source": f"notice-{word}"}
        )
        assert accepted.status_code == 202, accepted.text
        page_id = accepted.json()["job_id"]
        position = client.get(f"/jobs/{page_id}").json()["queue_position"]
        while True:
            found = client.post("/search", json={"query": f"{word} ferry", "limit": 3})
            # 404 until the collection's first passage is stored.
            hits = found.json()["results"] if found.status_code == 200 else []
            if any(word in hit["text"] for hit in hits):
                break
            time.sleep(0.1)
        searchable = time.perf_counter() - submitted
        bulk = wait_status(client, bulk_id, FINAL)
        assert bulk["status"] == "succeeded", bulk
        assert wait_status(client, page_id, FINAL)["status"] == "succeeded"
        bulk_seconds = time.perf_counter() - bulk_started
    return {
        "page_searchable_s": searchable,
        "page_jobs_ahead": float(position or 0),
        "docx_seconds": bulk_seconds,
        "docx_chunks": float(bulk["result"]["chunks"]),
        "docx_megabytes": len(docx_bytes) / 1024 / 1024,
    }


def measure(name: str, args: argparse.Namespace, interactive: int) -> dict[str, float]:
    paragraphs = corpus(args.paragraphs)
    root = Path(tempfile.mkdtemp()) / "fairness"
    platform = Platform(root, workers=1, interactive_workers=interactive)
    try:
        results = [
            one_round(platform, paragraphs, args.megabytes, round_no)
            for round_no in range(args.rounds)
        ]
    finally:
        platform.stop()
    for result in results:
        print(
            f"  {name}: page searchable in {result['page_searchable_s']:.1f} s (jobs ahead "
            f"{result['page_jobs_ahead']:.0f}), DOCX {result['docx_chunks']:.0f} chunks in "
            f"{result['docx_seconds']:.0f} s ({result['docx_megabytes']:.1f} MB)"
        )
    return {key: median([r[key] for r in results]) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--paragraphs", type=int, default=3000)
    parser.add_argument("--megabytes", type=float, default=10.0)
    args = parser.parse_args()
    one_worker = measure("one worker", args, interactive=0)
    with_lane = measure("with the interactive lane", args, interactive=1)
    figures = {
        "docx_megabytes": args.megabytes,
        "rounds": args.rounds,
        "one_worker": one_worker,
        "with_interactive_lane": with_lane,
        "speedup": one_worker["page_searchable_s"] / with_lane["page_searchable_s"],
    }
    print(
        f"\none-page ingest behind a {figures['docx_megabytes']} MB DOCX, searchable after "
        f"(median): {with_lane['page_searchable_s']:.1f} s with the interactive lane, "
        f"{one_worker['page_searchable_s']:.1f} s with one worker "
        f"({figures['speedup']:.0f}x; goal: within 10 s)"
    )
    save("fairness", figures)


if __name__ == "__main__":
    main()
