"""Counts every job outcome, and how long a finished job took from submission to its end, for
the throughput, failure-ratio and ingestion-latency figures (dashboards, alerts and the SLOs)."""

from __future__ import annotations

import datetime as dt

from shield.errors import FailureCause
from shield.jobs.models import JobState
from shield.metrics import JOB_DURATION, JOBS

JOB_KINDS = ("document", "crawl")
OUTCOMES = ("queued", "retried", "succeeded", "failed", "cancelled")
FINAL_OUTCOMES = ("succeeded", "failed", "cancelled")
FAILED_OUTCOMES = ("retried", "failed")  # the outcomes that carry a cause
CAUSES: tuple[FailureCause, ...] = ("input", "dependency", "internal")


def initialise_job_metrics() -> None:
    """Exports every kind and outcome at 0 from the start. A series born at its first event
    hides that event from rate(): the first failure would never reach a dashboard or an alert."""
    for kind in JOB_KINDS:
        for outcome in OUTCOMES:
            for cause in CAUSES if outcome in FAILED_OUTCOMES else ("",):
                JOBS.labels(kind, outcome, cause)
        for outcome in FINAL_OUTCOMES:
            JOB_DURATION.labels(kind, outcome)


def record_outcome(state: JobState, outcome: str) -> None:
    """`outcome`: queued, retried, or the final status the state now has."""
    cause = ""
    if outcome in FAILED_OUTCOMES:
        cause = (state.error.cause if state.error else None) or "internal"
    JOBS.labels(state.kind, outcome, cause).inc()
    if state.is_final:
        JOB_DURATION.labels(state.kind, outcome).observe(_seconds_since_submission(state))


def _seconds_since_submission(state: JobState) -> float:
    created = dt.datetime.fromisoformat(state.created_at)
    finished = dt.datetime.fromisoformat(state.finished_at) if state.finished_at else None
    return max(0.0, ((finished or dt.datetime.now(dt.UTC)) - created).total_seconds())
