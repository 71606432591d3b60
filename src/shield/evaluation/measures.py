"""The figures an evaluation reports, computed by ir-measures (pytrec_eval underneath)."""

from __future__ import annotations

import ir_measures
from ir_measures import RR, R, nDCG

#: Ranked documents per query: the depth Recall@100 needs.
DEPTH = 100
MEASURES = {"nDCG@10": nDCG @ 10, "Recall@10": R @ 10, "Recall@100": R @ 100, "MRR@10": RR @ 10}

Run = dict[str, dict[str, float]]  # query id -> document id -> score


def evaluate(run: Run, qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """The mean of each measure over the judged queries; a query left out of `run` counts 0."""
    complete = {query: run.get(query, {}) for query in qrels}
    scores = ir_measures.calc_aggregate(list(MEASURES.values()), qrels, complete)
    return {name: float(scores[measure]) for name, measure in MEASURES.items()}
