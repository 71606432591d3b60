"""A retrieval test collection in the BEIR layout: `corpus.jsonl` (`_id`, `title`, `text`),
`queries.jsonl` (`_id`, `text`) and `qrels/test.tsv` (`query-id`, `corpus-id`, `score`, with a
header line). Read whole and checked, with the file and line of anything wrong."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: What one evaluation takes at most; larger collections belong in `make bench` style runs.
MAX_DOCUMENTS = 100_000
MAX_QUERIES = 10_000


class DatasetError(ValueError):
    """The folder is not a usable BEIR collection; the message says where and why."""


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str

    @property
    def full_text(self) -> str:
        """What is ingested and what the baseline indexes: the title as a heading, the text."""
        return f"# {self.title}\n\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class Dataset:
    name: str
    corpus: dict[str, Document]
    queries: dict[str, str]  # only the judged ones
    qrels: dict[str, dict[str, int]]  # query id -> document id -> relevance


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get("_id"), str | int):
                raise DatasetError(f'{path}:{number}: each line needs an "_id"')
            if not isinstance(record.get("text", ""), str):
                raise DatasetError(f'{path}:{number}: "text" must be a string')
            yield number, record


def _require(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise DatasetError(
            f"{folder} has no {name}: a BEIR folder holds corpus.jsonl, queries.jsonl and "
            "qrels/test.tsv"
        )
    return path


def load(folder: Path) -> Dataset:
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder")
    corpus: dict[str, Document] = {}
    for number, record in _lines(_require(folder, "corpus.jsonl")):
        text, title = str(record.get("text", "")), str(record.get("title") or "")
        if not (text.strip() or title.strip()):
            raise DatasetError(f"{folder / 'corpus.jsonl'}:{number}: the document is empty")
        corpus[str(record["_id"])] = Document(str(record["_id"]), title.strip(), text.strip())
        if len(corpus) > MAX_DOCUMENTS:
            raise DatasetError(f"the corpus has more than {MAX_DOCUMENTS} documents")
    queries = {
        str(record["_id"]): str(record.get("text", ""))
        for _number, record in _lines(_require(folder, "queries.jsonl"))
    }
    qrels: dict[str, dict[str, int]] = {}
    path = _require(folder, "qrels/test.tsv")
    with path.open(encoding="utf-8", newline="") as stream:
        rows = csv.reader(stream, delimiter="\t")
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:3]] != ["query-id", "corpus-id", "score"]:
            raise DatasetError(f"{path}:1: the header must be query-id, corpus-id, score")
        for number, row in enumerate(rows, 2):
            if not row:
                continue
            try:
                query_id, doc_id, score = row[0], row[1], int(row[2])
            except (IndexError, ValueError):
                raise DatasetError(f"{path}:{number}: want query-id, corpus-id, score") from None
            if query_id in queries and doc_id in corpus and score > 0:
                qrels.setdefault(query_id, {})[doc_id] = score
    judged = {qid: text for qid, text in queries.items() if qid in qrels and text.strip()}
    if not corpus or not judged:
        raise DatasetError(f"{folder} has no judged query about its corpus: nothing to measure")
    if len(judged) > MAX_QUERIES:
        raise DatasetError(f"more than {MAX_QUERIES} judged queries")
    return Dataset(folder.resolve().name, corpus, judged, qrels)
