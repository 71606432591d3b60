"""`shield eval --dataset DIR`: ingest, search in every mode, score, print, clean up."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shield.client.output import console as stdout_console
from shield.config import ClientSettings
from shield.evaluation.baseline import bm25_run
from shield.evaluation.beir import Dataset, load
from shield.evaluation.measures import MEASURES, evaluate
from shield.evaluation.runner import Evaluation, scratch_name
from shield.fields import SearchMode
from shield.net.service_client import ServiceClient, api_breaker, api_endpoint

BASELINE = "bm25_baseline"


def run_evaluation(
    settings: ClientSettings,
    folder: Path,
    collection: str | None,
    keep: bool,
    modes: list[SearchMode],
    as_json: bool,
) -> dict[str, Any]:
    """Runs the whole evaluation and prints its table (or JSON); returns the report."""
    console = Console(stderr=True)  # progress and notes; stdout is the report alone
    dataset = load(folder)
    api = ServiceClient(api_endpoint(settings), api_breaker(settings, "cli"))
    evaluation = Evaluation(api, dataset, collection or scratch_name(dataset))
    report: dict[str, Any] = {
        "dataset": dataset.name,
        "documents": len(dataset.corpus),
        "queries": len(dataset.queries),
        "collection": evaluation.collection,
        "kept": keep,
        "results": {},
        "search_median_ms": {},
    }
    try:
        evaluation.check_free()
    except BaseException:
        api.close()
        raise
    # From here on the collection is this run's own, and removed at the end unless kept.
    try:
        started = time.perf_counter()
        with Progress(
            TextColumn("ingesting {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=as_json,
        ) as progress:
            task = progress.add_task(dataset.name, total=len(dataset.corpus))
            evaluation.ingest(lambda done: progress.update(task, completed=done))
        report["ingest_seconds"] = round(time.perf_counter() - started, 1)
        report["chunks"] = evaluation.chunks
        for mode in modes:
            searched = evaluation.search(mode)
            report["results"][mode.value] = evaluate(searched.run, dataset.qrels)
            report["search_median_ms"][mode.value] = round(searched.median_ms, 1)
        report["results"][BASELINE] = evaluate(bm25_run(dataset), dataset.qrels)
    finally:
        if not keep:
            evaluation.remove_quietly(console)
        api.close()
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        stdout_console().print(table(report, dataset))
        if keep:
            console.print(f"kept collection {evaluation.collection!r}")
    return report


def table(report: dict[str, Any], dataset: Dataset) -> Table:
    out = Table(
        title=f"{dataset.name}: {len(dataset.corpus)} documents, {len(dataset.queries)} judged "
        f"queries, {report.get('chunks', 0)} chunks"
    )
    out.add_column("ranking", no_wrap=True)
    for name in MEASURES:
        out.add_column(name, justify="right")
    out.add_column("search, median", justify="right")
    for name, figures in report["results"].items():
        label = "BM25 (bm25s), whole documents" if name == BASELINE else f"Shield, {name}"
        latency = report["search_median_ms"].get(name)
        out.add_row(
            label,
            *(f"{figures[m]:.3f}" for m in MEASURES),
            f"{latency:.1f} ms" if latency is not None else "",
        )
    return out
