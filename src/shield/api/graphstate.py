"""Documents and the knowledge graph, as shield-api's routes see them: what the graph must do
next (through its backlog), and where each document stands there."""

from __future__ import annotations

from collections.abc import Iterable

from shield.api.services import Services
from shield.documents.models import DocumentSummary
from shield.jobs.models import JobState


def graph_put(services: Services, summary: DocumentSummary) -> DocumentSummary:
    """A document just stored: the graph takes it in later; it says `pending` meanwhile."""
    if services.lightrag.configured:
        services.call_redis(
            services.graph_backlog.put,
            summary.collection,
            summary.document_id,
            summary.content_hash,
        )
        summary.graph = "pending"
    return summary


def graph_forget(services: Services, collection: str, document_ids: Iterable[str]) -> str:
    """Documents just deleted: the graph forgets them later (`pending`), or `no graph`."""
    if not services.lightrag.configured:
        return "no graph"
    services.call_redis(services.graph_backlog.delete_many, collection, document_ids)
    return "pending"


def with_graph_state(
    services: Services, collection: str, summaries: list[DocumentSummary]
) -> list[DocumentSummary]:
    """Each document's graph state: `pending`, `stored`, or `failed` with `graph_error`; none
    without a graph, or for a document stored before its state was kept."""
    if not services.lightrag.configured or not summaries:
        return summaries
    entries = services.call_redis(
        services.graph_backlog.states, collection, [s.document_id for s in summaries]
    )
    for summary in summaries:
        entry = entries.get(summary.document_id)
        if entry is not None and entry.operation == "put":
            summary.graph = entry.state
            summary.graph_error = entry.error
    return summaries


def with_graph_progress(services: Services, state: JobState) -> JobState:
    """A job as it stands now in the graph too: each stored document's graph state, and the
    counts of them, read live (the graph takes documents in after their job is done)."""
    items = [i for i in state.result.documents if i.document_id and i.graph is not None]
    if not services.lightrag.configured or not items:
        return state
    entries = services.call_redis(
        services.graph_backlog.states,
        state.collection,
        list(dict.fromkeys(i.document_id or "" for i in items)),
    )
    for item in items:
        entry = entries.get(item.document_id or "")
        if entry is not None and entry.operation == "put":
            item.graph, item.graph_error = entry.state, entry.error
    progress = state.progress
    progress.graph_pending = sum(i.graph == "pending" for i in items)
    progress.graph_stored = sum(i.graph == "stored" for i in items)
    progress.graph_failed = sum(i.graph == "failed" for i in items)
    return state
