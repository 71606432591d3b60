"""`shield eval --dataset DIR` against a running platform: a small BEIR folder written here (the
documents' test subjects, each query about one of them) is ingested by jobs, searched in every
mode and scored beside BM25; the scratch collection is gone afterwards unless kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import documents
from support.services import TOKEN, ApiServer, WorkerProcess

MEASURES = {"nDCG@10", "Recall@10", "Recall@100", "MRR@10"}


@pytest.fixture(scope="module")
def subjects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("subjects")
    (folder / "qrels").mkdir()
    with (folder / "corpus.jsonl").open("w") as corpus:
        for fmt, subject in documents.SUBJECTS.items():
            text = f"{subject.sentence} " + " ".join(f"{k}: {v}." for k, v in subject.rows)
            corpus.write(json.dumps({"_id": fmt, "title": subject.title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w") as queries:
        for fmt, subject in documents.SUBJECTS.items():
            queries.write(json.dumps({"_id": f"q-{fmt}", "text": subject.query}) + "\n")
    rows = "".join(f"q-{fmt}\t{fmt}\t1\n" for fmt in documents.SUBJECTS)
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    return folder


def shield_eval(api: ApiServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": TOKEN}
    return subprocess.run(
        [sys.executable, "-m", "shield", "eval", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def collections(api: ApiServer) -> set[str]:
    with api.client() as client:
        return {c["name"] for c in client.get("/collections").json()["collections"]}


def test_every_mode_is_measured_beside_bm25_and_the_scratch_collection_goes(
    api: ApiServer, worker: WorkerProcess, subjects: Path
) -> None:
    done = shield_eval(api, "--dataset", str(subjects), "--json")
    assert done.returncode == 0, done.stderr + worker.log()[-2000:]
    report = json.loads(done.stdout)
    assert (report["documents"], report["queries"], report["kept"]) == (9, 9, False)
    assert set(report["results"]) == {"hybrid", "dense", "lexical", "bm25_baseline"}
    for name, figures in report["results"].items():
        assert set(figures) == MEASURES, name
        assert all(0.0 <= value <= 1.0 for value in figures.values()), name
    # Each query is about one document in its own words: every ranking finds most of them.
    assert report["results"]["hybrid"]["nDCG@10"] >= 0.9
    assert report["results"]["dense"]["Recall@10"] == 1.0
    assert report["chunks"] >= 9
    assert report["collection"].startswith("eval-subjects")
    assert report["collection"] not in collections(api)


def test_a_kept_collection_stays_and_the_table_names_each_ranking(
    api: ApiServer, worker: WorkerProcess, subjects: Path
) -> None:
    done = shield_eval(
        api, "--dataset", str(subjects), "--keep", "--collection", "kept-eval", "--mode", "lexical"
    )
    assert done.returncode == 0, done.stderr
    assert "Shield, lexical" in done.stdout
    assert "BM25 (bm25s), whole documents" in done.stdout
    assert "Shield, hybrid" not in done.stdout
    assert "kept collection 'kept-eval'" in done.stderr
    assert "kept-eval" in collections(api)
    again = shield_eval(api, "--dataset", str(subjects), "--collection", "kept-eval")
    assert again.returncode == 1
    assert "collection 'kept-eval' exists already" in again.stderr
    assert "kept-eval" in collections(api)  # a refused run deletes nothing


def test_a_broken_dataset_or_a_wrong_token_is_a_clear_error(
    api: ApiServer, subjects: Path, tmp_path: Path
) -> None:
    missing = shield_eval(api, "--dataset", str(tmp_path))
    assert missing.returncode == 1
    assert "has no corpus.jsonl" in missing.stderr
    env = {**os.environ, "SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": "wrong-token-0123456789"}
    refused = subprocess.run(
        [sys.executable, "-m", "shield", "eval", "--dataset", str(subjects)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1
    assert "401" in refused.stderr
