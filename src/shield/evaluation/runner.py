"""One evaluation against a running Shield, through its public API as any client would use it:
the corpus is ingested by jobs (`/ingest-async`, the workers' whole pipeline) into a scratch
collection, each judged query is searched in each mode with results grouped by document, and
the collection is deleted at the end unless it is to be kept."""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from shield.errors import ShieldError, error_message
from shield.evaluation.beir import Dataset
from shield.evaluation.measures import DEPTH, Run
from shield.fields import SearchMode
from shield.net.service_client import ServiceClient

POLL_SECONDS = 0.2
#: Ingest jobs waited for at most, each, once it is the oldest unfinished one.
JOB_TIMEOUT_SECONDS = 600.0

Progress = Callable[[int], None]  # documents ingested so far


class EvaluationError(ShieldError):
    status_code = 400
    code = "evaluation_failed"


@dataclass
class ModeRun:
    run: Run
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0


def scratch_name(dataset: Dataset) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in dataset.name.lower()).strip("-")[:40]
    return f"eval-{stem or 'dataset'}-{secrets.token_hex(3)}"


class Evaluation:
    def __init__(self, api: ServiceClient, dataset: Dataset, collection: str) -> None:
        self.api = api
        self.dataset = dataset
        self.collection = collection
        self.chunks = 0

    def _call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        response = self.api.request(method, path, **kwargs)
        if response.status_code != expect:
            raise EvaluationError(
                f"shield-api answered {method} {path} with {response.status_code}: "
                f"{error_message(response)}"
            )
        return response.json()

    def check_free(self) -> None:
        """Refuse a collection that exists: the evaluation deletes its collection afterwards."""
        names = {c["name"] for c in self._call("GET", "/collections", 200)["collections"]}
        if self.collection in names:
            raise EvaluationError(
                f"collection {self.collection!r} exists already; an evaluation needs a new one "
                "(give another --collection)"
            )

    def ingest(self, progress: Progress) -> None:
        """Every document as one ingest job; waits for them all (the workers run them in turn)."""
        jobs = []
        for doc in self.dataset.corpus.values():
            body = {
                "kind": "document",
                "collection": self.collection,
                "create_collection": True,  # this run's own (check_free made sure)
                "text": doc.full_text,
                "source": f"beir/{doc.id}",
                "title": doc.title[:512] or None,
                "metadata": {"beir_id": doc.id},
            }
            accepted = self._call("POST", "/ingest-async", 202, json=body)
            jobs.append((doc.id, accepted["job_id"]))
        for done, (doc_id, job_id) in enumerate(jobs, 1):
            state = self._wait(job_id)
            if state["status"] != "succeeded":
                error = (state.get("error") or {}).get("message", state["status"])
                raise EvaluationError(f"document {doc_id!r} was not ingested: {error}")
            self.chunks += int(state["result"]["chunks"])
            progress(done)

    def _wait(self, job_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
        while True:
            state: dict[str, Any] = self._call("GET", f"/jobs/{job_id}", 200)
            if state["status"] in ("succeeded", "failed", "cancelled"):
                return state
            if time.monotonic() > deadline:
                raise EvaluationError(
                    f"job {job_id} is still {state['status']} after {JOB_TIMEOUT_SECONDS:.0f} s; "
                    "are the workers running?"
                )
            time.sleep(POLL_SECONDS)

    def search(self, mode: SearchMode, depth: int = DEPTH) -> ModeRun:
        """Each judged query in `mode`, ranking documents (their best passage each)."""
        result = ModeRun(run={})
        for query_id, text in self.dataset.queries.items():
            body = {
                "query": text[:4096],
                "collection": self.collection,
                "mode": mode.value,
                "limit": depth,
                "group_by": "document",
            }
            started = time.perf_counter()
            found = self._call("POST", "/search", 200, json=body)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.run[query_id] = {
                str(hit["metadata"]["metadata"]["beir_id"]): float(hit["score"])
                for hit in found["results"]
            }
        return result

    def remove_quietly(self, console: Console) -> None:
        """Clean up after a run, even a failed one: a collection never made is no error."""
        try:
            response = self.api.request(
                "DELETE", f"/collections/{self.collection}", params={"confirm": self.collection}
            )
        except ShieldError as exc:
            console.print(f"could not delete collection {self.collection!r}: {exc.message}")
            return
        if response.status_code not in (200, 404):
            console.print(
                f"could not delete collection {self.collection!r}: {error_message(response)}"
            )
