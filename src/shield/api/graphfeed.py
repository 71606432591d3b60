"""The graph feeder: hands the knowledge graph the documents of its backlog, in batches, while
vector ingestion leaves room.

Documents are searchable as soon as they are stored; the graph takes them afterwards, so no
embedding ever waits on it. On a shared host the graph's own work (extraction, embedding entities)
would slow ingestion down, so the feeder waits until no document has been written for
SHIELD_GRAPH_IDLE_SECONDS, unless a document has waited SHIELD_GRAPH_MAX_WAIT_SECONDS already.
A graph that cannot be reached postpones the batch without counting an attempt; a document the
graph refuses is retried with a doubling wait and, after SHIELD_GRAPH_MAX_ATTEMPTS, stays
`failed` with the reason while the rest go on. Entries are settled only after the graph has
answered, so a feeder killed half way sends the same batch again (taking a document in replaces
its earlier version: nothing is held twice).
"""

from __future__ import annotations

import asyncio
import itertools
import time

from shield.api.services import Services
from shield.errors import DependencyUnavailable, ShieldError
from shield.graph.backlog import GraphBacklog, GraphEntry
from shield.graph.vectors import StoredChunks
from shield.logging import get_logger
from shield.metrics import GRAPH_BACKLOG, GRAPH_BACKLOG_AGE, GRAPH_BATCH_SECONDS, GRAPH_DOCUMENTS

log = get_logger(__name__)
CHECK_SECONDS = 1.0
MAX_RETRY_SECONDS = 3600.0
SETTLED = {"stored", "deleted", "absent"}
OUTCOMES = ("stored", "deleted", "retried", "failed")
MAX_BATCH_CHUNKS = 20_000  # what shield-lightrag takes in one batch


def feed_once(services: Services) -> int:
    """Send one batch if one is due; returns how many documents it settled or retried.
    Waits while a backup or restore holds the feeder."""
    with services.graph_feed_lock:
        return _feed(services)


def _feed(services: Services) -> int:
    backlog = services.graph_backlog
    settings = services.settings
    count, oldest = _measure(backlog)
    if count == 0 or not services.lightrag.configured:
        return 0
    quiet = time.monotonic() - services.index.last_write >= settings.graph_idle_seconds
    if not quiet and oldest < settings.graph_max_wait_seconds:
        return 0
    entries = backlog.due(settings.graph_batch_size)
    ordered = sorted(entries, key=lambda e: e.collection)
    for collection, group in itertools.groupby(ordered, key=lambda e: e.collection):
        _send(services, collection, list(group))
    if entries:
        _measure(backlog)
    return len(entries)


def _measure(backlog: GraphBacklog) -> tuple[int, float]:
    count, oldest = backlog.waiting()
    GRAPH_BACKLOG.set(count)
    GRAPH_BACKLOG_AGE.set(oldest)
    return count, oldest


def _send(services: Services, collection: str, entries: list[GraphEntry]) -> None:
    backlog = services.graph_backlog
    documents: dict[str, StoredChunks] = {}
    deletes: list[str] = []
    sent: list[GraphEntry] = []
    chunks = 0
    for entry in entries:
        stored = None
        if entry.operation == "put":
            stored = services.index.stored_chunks(collection, entry.document_id)
        if stored is None:  # a deletion, or gone since: the graph forgets it
            deletes.append(entry.document_id)
        elif sent and chunks + len(stored.texts) > MAX_BATCH_CHUNKS:
            continue  # stays due: the next batch takes it
        else:
            documents[entry.document_id] = stored
            chunks += len(stored.texts)
        sent.append(entry)
    entries = sent
    started = time.perf_counter()
    try:
        results = services.lightrag.apply_batch(collection, documents, deletes)
    except DependencyUnavailable as exc:
        retry_at = time.time() + (exc.retry_after or services.settings.graph_retry_seconds)
        for entry in entries:
            backlog.postpone(entry, retry_at)
        log.warning("graph_batch_postponed", collection=collection, error=exc.message)
        return
    except ShieldError as exc:  # refused as a whole (a 4xx): each document counts an attempt
        results = {e.document_id: {"status": "failed", "error": exc.message} for e in entries}
    GRAPH_BATCH_SECONDS.observe(time.perf_counter() - started)
    for entry in entries:
        outcome = results.get(entry.document_id) or {"status": "failed", "error": "no answer"}
        if outcome["status"] in SETTLED:
            backlog.stored(entry)
            GRAPH_DOCUMENTS.labels("deleted" if entry.operation == "delete" else "stored").inc()
        else:
            _failed(services, backlog, entry, str(outcome.get("error") or "failed"))
    log.info(
        "graph_batch_done",
        collection=collection,
        documents=len(documents),
        deleted=len(deletes),
        seconds=round(time.perf_counter() - started, 2),
    )


def _failed(services: Services, backlog: GraphBacklog, entry: GraphEntry, error: str) -> None:
    settings = services.settings
    if entry.attempts + 1 >= settings.graph_max_attempts:
        backlog.failed(entry, error, None)
        GRAPH_DOCUMENTS.labels("failed").inc()
        log.warning("graph_document_failed", document_id=entry.document_id, error=error)
        return
    wait = min(MAX_RETRY_SECONDS, settings.graph_retry_seconds * 2**entry.attempts)
    backlog.failed(entry, error, time.time() + wait)
    GRAPH_DOCUMENTS.labels("retried").inc()


async def run_graph_feeder(services: Services, interval: float = CHECK_SECONDS) -> None:
    for outcome in OUTCOMES:  # at 0 from the start: the first failure shows in rate()
        GRAPH_DOCUMENTS.labels(outcome)
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(feed_once, services)
        except Exception as exc:  # noqa: BLE001 - Redis or the store down: try again later
            log.warning("graph_feed_failed", error=str(exc))
