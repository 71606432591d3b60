"""The baseline beside Shield's own figures: BM25 over whole documents by bm25s, with English
stopwords and the Snowball stemmer (PyStemmer), as a keyword engine would rank them."""

from __future__ import annotations

import bm25s
import Stemmer

from shield.evaluation.beir import Dataset
from shield.evaluation.measures import DEPTH, Run


def bm25_run(dataset: Dataset, depth: int = DEPTH) -> Run:
    ids = list(dataset.corpus)
    stemmer = Stemmer.Stemmer("english")

    def tokens(texts: list[str]) -> bm25s.tokenization.Tokenized:
        return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)

    retriever = bm25s.BM25()
    retriever.index(tokens([dataset.corpus[i].full_text for i in ids]), show_progress=False)
    query_ids = list(dataset.queries)
    found, scores = retriever.retrieve(
        tokens([dataset.queries[q] for q in query_ids]),
        k=min(depth, len(ids)),
        show_progress=False,
    )
    return {
        query: {ids[int(doc)]: float(score) for doc, score in zip(row, row_scores, strict=True)}
        for query, row, row_scores in zip(query_ids, found, scores, strict=True)
    }
