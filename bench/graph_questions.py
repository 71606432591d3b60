"""Two-hop questions: does the knowledge graph answer what search cannot?

A generated collection: for each of N places, a document saying who keeps it ("Ana Voss keeps
the granary at Tarn Ford.") and one saying who built it ("The granary at Tarn Ford was built by
Milo Brandt in 1803."); five kinds of place, so every builder's document shares its words with a
fifth of the others. The question "Who built the granary that Ana Voss keeps?" needs both: the
keeper's document names the town, the builder's names the builder. For the same questions, the
share whose builder's document is among the first 10 passages of hybrid search (Shield's own,
in process: the baseline), of each graph mode, and of the `hops` retrieval; the answers' median
and largest size as shield-api cuts them; and query p50/p99 of each beside search's. The graph
runs in process too (shield-lightrag's engine, no LLM), so the latencies leave HTTP out.

    python -m bench.graph_questions [--places 100 1000] [--questions 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import median, percentile, save
from shield.api.routes.graph import within
from shield.documents.identity import content_hash, document_id
from shield.documents.index import DocumentIndex, Search
from shield.documents.models import ChunkIn, DocumentWrite
from shield.embeddings.local import LocalEmbedder
from shield.fields import SearchMode
from shield.graph_service.engine import GraphEngine
from shield.resilience import Breaker
from shield.schemas import GRAPH_MAX_CHARS
from shield.vectorstore.edge import EdgeVectorStore
from support.graphfacts import FAMILY_NAMES, GIVEN_NAMES

PLACES = ("granary", "mill", "lighthouse", "bridge", "chapel")
TOWN_STEMS = ("Tarn", "Elm", "Cress", "Fen", "Brin", "Salt", "Toll", "Gannet", "Osk", "Miren",
              "Vell", "Elira", "Dorn", "Grey", "Lantern", "Marrow", "Korrin", "Est", "Fel",
              "Skarra", "Whit", "Orlen", "Harrow", "Kestrel", "Quarry")  # fmt: skip
TOWN_SIDES = ("", "Upper ", "Lower ", "North ", "South ", "East ")
TOWN_ENDS = ("ford", "hollow", "wick", "mere", "haven", "stead", "by", "thorpe")
COLLECTION = "questions"
MODES = ("hops", "mix", "local", "hybrid", "naive")


def collection(places: int, seed: int = 3) -> tuple[dict[str, str], list[tuple[str, str]]]:
    rng = random.Random(seed)
    people = [
        f"{first} {last}" if last == other else f"{first} {last}-{other}"
        for first in GIVEN_NAMES
        for last in FAMILY_NAMES
        for other in FAMILY_NAMES[:6]
    ]
    towns = [
        f"{side}{stem}{end}" for side in TOWN_SIDES for stem in TOWN_STEMS for end in TOWN_ENDS
    ]
    rng.shuffle(people)
    rng.shuffle(towns)
    if places * 2 > len(people) or places > len(towns):
        raise SystemExit(f"at most {min(len(people) // 2, len(towns))} places")
    documents, questions = {}, []
    for number in range(places):
        keeper, builder, town = people[2 * number], people[2 * number + 1], towns[number]
        place = PLACES[number % len(PLACES)]
        documents[f"keeper-{number}.md"] = (
            f"{keeper} keeps the {place} at {town}. {keeper.split()[0]} opens it every "
            "morning and checks the doors."
        )
        documents[f"builder-{number}.md"] = (
            f"The {place} at {town} was built by {builder} in {1800 + number}. Its walls are "
            "of grey stone."
        )
        questions.append((f"Who built the {place} that {keeper} keeps?", f"builder-{number}.md"))
    return documents, questions


def _search_index(
    documents: dict[str, str], embedder: LocalEmbedder, folder: Path
) -> DocumentIndex:
    index = DocumentIndex(EdgeVectorStore(folder), embedder, Breaker("bench", "vector_store"))
    vectors = embedder.embed(list(documents.values()))
    for (source, text), vector in zip(documents.items(), vectors, strict=True):
        index.replace(
            COLLECTION,
            document_id(COLLECTION, source),
            DocumentWrite(
                source=source,
                content_hash=content_hash(text),
                embedding_model=embedder.model_name,
                chunks=[ChunkIn(text=text, vector=vector.tolist())],
            ),
        )
    return index


async def measure(places: int, questions_asked: int, embedder: LocalEmbedder) -> dict[str, Any]:
    documents, questions = collection(places)
    questions = questions[:questions_asked]
    with tempfile.TemporaryDirectory() as tmp:
        index = _search_index(documents, embedder, Path(tmp) / "store")
        engine = GraphEngine(Path(tmp) / "graph", embedder)
        started = time.perf_counter()
        names = list(documents)
        for start in range(0, len(names), 50):
            batch = names[start : start + 50]
            await engine.apply(
                COLLECTION,
                {document_id(COLLECTION, n): [documents[n]] for n in batch},
                [],
            )
        loaded = time.perf_counter() - started
        source_of = {document_id(COLLECTION, n): n for n in documents}
        figures: dict[str, Any] = {"places": places, "graph_load_seconds": round(loaded, 1)}
        found, latency = [], []
        for question, answer in questions:
            began = time.perf_counter()
            hits = index.search(COLLECTION, Search(question, SearchMode.HYBRID, limit=10))
            latency.append(time.perf_counter() - began)
            found.append(answer in {str(hit.payload.get("source")) for hit in hits.hits})
        figures["search"] = _row(found, latency, None)
        for mode in MODES:
            found, latency, sizes = [], [], []
            for question, answer in questions:
                began = time.perf_counter()
                reply = await engine.query(COLLECTION, question, mode, 20, 10)
                latency.append(time.perf_counter() - began)
                shown = within(
                    {
                        "mode": reply.mode,
                        "llm_generated": reply.llm_generated,
                        "answer": reply.answer,
                        "entities": reply.entities,
                        "relations": reply.relations,
                        "chunks": reply.chunks,
                    },
                    GRAPH_MAX_CHARS,
                )
                sizes.append(len(shown.model_dump_json()))
                passages = {source_of.get(c.document_id or "", "") for c in shown.chunks}
                found.append(answer in passages)
            figures[mode] = _row(found, latency, sizes)
    return figures


def _row(found: list[bool], latency: list[float], sizes: list[int] | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "answer_in_top_10": round(sum(found) / len(found), 3),
        "p50_ms": round(percentile(latency, 50) * 1000, 1),
        "p99_ms": round(percentile(latency, 99) * 1000, 1),
    }
    if sizes is not None:
        row["median_bytes"] = int(median([float(s) for s in sizes]))
        row["largest_bytes"] = max(sizes)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--places", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--questions", type=int, default=50)
    args = parser.parse_args()
    embedder = LocalEmbedder()
    results = {}
    for places in args.places:
        figures = asyncio.run(measure(places, args.questions, embedder))
        results[str(places)] = figures
        print(f"\n== {places} places ({places * 2} documents), {args.questions} two-hop questions")
        print(f"{'retrieval':16} {'in top 10':>9} {'p50 ms':>7} {'p99 ms':>7} {'bytes':>13}")
        for name in ("search", *MODES):
            row = figures[name]
            label = "hybrid search" if name == "search" else f"graph {name}"
            size = f"{row['median_bytes']}/{row['largest_bytes']}" if "median_bytes" in row else "-"
            print(
                f"{label:16} {row['answer_in_top_10']:9.2f} {row['p50_ms']:7.1f} "
                f"{row['p99_ms']:7.1f} {size:>13}"
            )
    save("graph-questions", results)


if __name__ == "__main__":
    main()
