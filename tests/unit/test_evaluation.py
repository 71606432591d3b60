"""The evaluation's own parts: reading a BEIR folder (and saying what is wrong with one), the
measures, and the BM25 baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shield.evaluation.baseline import bm25_run
from shield.evaluation.beir import DatasetError, load
from shield.evaluation.measures import evaluate

CORPUS = [
    {"_id": "d1", "title": "Lighthouse", "text": "The keeper replaces the lens gasket."},
    {"_id": "d2", "title": "Bees", "text": "Beekeepers inspect hives for varroa mites."},
    {"_id": "d3", "title": "", "text": "Glaciers retreat in warm summers."},
]
QUERIES = [
    {"_id": "q1", "text": "lens gasket of the lighthouse"},
    {"_id": "q2", "text": "varroa mites"},
    {"_id": "q3", "text": "a query nobody judged"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq2\tmissing\t1\n"


def write(folder: Path, corpus: list[dict[str, str]] = CORPUS, qrels: str = QRELS) -> Path:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in corpus))
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    (folder / "qrels" / "test.tsv").write_text(qrels)
    return folder


def test_a_beir_folder_is_read_with_only_its_judged_queries(tmp_path: Path) -> None:
    dataset = load(write(tmp_path / "tiny"))
    assert dataset.name == "tiny"
    assert set(dataset.corpus) == {"d1", "d2", "d3"}
    assert dataset.corpus["d1"].full_text == "# Lighthouse\n\nThe keeper replaces the lens gasket."
    assert dataset.corpus["d3"].full_text == "Glaciers retreat in warm summers."
    assert dataset.queries == {"q1": "lens gasket of the lighthouse", "q2": "varroa mites"}
    assert dataset.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}}  # unknown documents left out


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda f: (f / "queries.jsonl").unlink(), "has no queries.jsonl: a BEIR folder holds"),
        (lambda f: (f / "corpus.jsonl").write_text('{"_id": "d1"\n'), "corpus.jsonl:1: not JSON"),
        (lambda f: (f / "corpus.jsonl").write_text('{"text": "x"}\n'), 'each line needs an "_id"'),
        (lambda f: (f / "corpus.jsonl").write_text('{"_id": "d", "text": ""}\n'), "is empty"),
        (lambda f: (f / "qrels" / "test.tsv").write_text("q\td\t1\n"), "the header must be"),
        (
            lambda f: (f / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\n"),
            "test.tsv:2: want query-id, corpus-id, score",
        ),
        (
            lambda f: (f / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n"),
            "no judged query about its corpus",
        ),
    ],
)
def test_a_broken_folder_is_refused_with_where_and_why(
    tmp_path: Path, damage: object, says: str
) -> None:
    folder = write(tmp_path / "broken")
    damage(folder)  # type: ignore[operator]
    with pytest.raises(DatasetError, match=says.replace("(", r"\(")):
        load(folder)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="is not a folder"):
        load(tmp_path / "nowhere")


def test_measures_count_an_unanswered_query_as_zero() -> None:
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    perfect = evaluate({"q1": {"d1": 2.0, "d3": 1.0}, "q2": {"d2": 1.0}}, qrels)
    assert perfect == {"nDCG@10": 1.0, "Recall@10": 1.0, "Recall@100": 1.0, "MRR@10": 1.0}
    second = evaluate({"q1": {"d3": 2.0, "d1": 1.0}}, qrels)  # q2 gets nothing
    assert second["MRR@10"] == pytest.approx(0.25)  # (1/2 + 0) / 2
    assert second["Recall@10"] == pytest.approx(0.5)


def test_the_bm25_baseline_ranks_the_document_with_the_words_first(tmp_path: Path) -> None:
    dataset = load(write(tmp_path / "tiny"))
    run = bm25_run(dataset)
    assert max(run["q1"], key=run["q1"].__getitem__) == "d1"
    assert max(run["q2"], key=run["q2"].__getitem__) == "d2"
    assert evaluate(run, dataset.qrels)["MRR@10"] == 1.0
