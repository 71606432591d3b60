"""How many of the offline graph extractor's entities name something: its precision and recall
on 200 entities it found in real text (the first 60 documents of the CISI collection) before it
had a filter, each judged by hand (`bench/data/entity_labels.tsv`: 1 names a thing, a name or a
subject; 0 does not: a function word, a sentence's opening word, a fragment of a clause).
Before the filter the extractor kept all 200, so its precision was the share of things among
them and its recall 1.

    python -m bench.entities CISI_DIR
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from bench.common import save
from shield.graph_service.extractor import OfflineExtractor, singulars

LABELS = Path(__file__).parent / "data" / "entity_labels.tsv"


def _labels() -> list[tuple[str, str, bool]]:
    with LABELS.open() as stream:
        rows = csv.DictReader((line for line in stream if not line.startswith("#")), delimiter="\t")
        return [(row["document"], row["entity"], row["thing"] == "1") for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cisi", type=Path, help="The CISI collection in BEIR's format.")
    args = parser.parse_args()
    texts = {}
    with (args.cisi / "corpus.jsonl").open() as stream:
        for line in stream:
            doc = json.loads(line)
            texts[doc["_id"]] = f"{doc.get('title', '')}. {doc['text']}".strip()
    labels = _labels()
    extractor = OfflineExtractor()
    found: dict[str, set[str]] = {}
    kept = []
    for document, entity, thing in labels:
        if document not in found:
            found[document] = {e.name.lower() for e in extractor.extract(texts[document]).entities}
        # Variants are merged: "Facility's" is kept as "Facility", "Libraries" as "library"
        # where the text uses it too.
        plain = entity.lower().removesuffix("'s").removesuffix("\u2019s")
        forms = {entity.lower(), plain, *singulars(plain)}
        kept.append((thing, bool(forms & found[document])))
    things = sum(1 for thing, _ in kept if thing)
    kept_things = sum(1 for thing, k in kept if thing and k)
    kept_all = sum(1 for _, k in kept if k)
    before = things / len(labels)
    precision = kept_things / kept_all if kept_all else 0.0
    recall = kept_things / things if things else 0.0
    print(f"{'extractor':24} {'kept':>5} {'precision':>10} {'recall':>7}")
    print(f"{'before its filter':24} {len(labels):5d} {before:10.3f} {1.0:7.3f}")
    print(f"{'now':24} {kept_all:5d} {precision:10.3f} {recall:7.3f}")
    save(
        "entities",
        {
            "labelled": len(labels),
            "things": things,
            "before": {"precision": round(before, 3), "recall": 1.0},
            "now": {"kept": kept_all, "precision": round(precision, 3), "recall": round(recall, 3)},
        },
    )


if __name__ == "__main__":
    main()
