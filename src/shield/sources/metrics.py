"""The sources' gauges, set from their records when Prometheus scrapes shield-api."""

from __future__ import annotations

from datetime import datetime

from shield.metrics import (
    SOURCE_DOCUMENTS,
    SOURCE_INTERVAL,
    SOURCE_LAST_SUCCESS,
    SOURCE_LAST_SYNC,
    SOURCE_LAST_SYNC_FAILED,
    SOURCE_LAST_SYNC_SECONDS,
)
from shield.sources.models import Source, every_interval

OUTCOMES = ("added", "changed", "unchanged", "removed", "failed")
_GAUGES = (
    SOURCE_DOCUMENTS, SOURCE_INTERVAL, SOURCE_LAST_SUCCESS, SOURCE_LAST_SYNC,
    SOURCE_LAST_SYNC_FAILED, SOURCE_LAST_SYNC_SECONDS,
)  # fmt: skip


def _seconds(when: str | None) -> float | None:
    try:
        return datetime.fromisoformat(when).timestamp() if when else None
    except ValueError:
        return None


def export(sources: list[Source]) -> None:
    """The gauges as the sources stand now (a removed source's series go with it)."""
    for gauge in _GAUGES:
        gauge.clear()
    for source in sources:
        labels = (source.source_id, source.kind, source.collection)
        success = _seconds(source.last_success_at) or _seconds(source.created_at) or 0.0
        SOURCE_LAST_SUCCESS.labels(*labels).set(success)
        SOURCE_DOCUMENTS.labels(*labels).set(source.documents)
        if source.every is not None:
            SOURCE_INTERVAL.labels(*labels).set(every_interval(source.every).total_seconds())
        last = source.last_sync
        if last is None:
            continue
        for outcome in OUTCOMES:
            SOURCE_LAST_SYNC.labels(*labels, outcome).set(getattr(last, outcome))
        SOURCE_LAST_SYNC_FAILED.labels(*labels).set(1 if last.status == "failed" else 0)
        started, ended = _seconds(last.started_at), _seconds(last.ended_at)
        if started is not None and ended is not None:
            SOURCE_LAST_SYNC_SECONDS.labels(*labels).set(max(ended - started, 0.0))
