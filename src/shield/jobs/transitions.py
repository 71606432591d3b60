"""The job state machine: every change of a job's status goes through here.

    queued -> running -> succeeded | failed | cancelled
       ^         |
       +---------+  (retrying: a failed attempt with retries left goes back to the queue)

Each transition sets the status, the stage, the error and the timestamps together, saves the
state (the store refuses to change a final state, so a late worker cannot undo a cancel) and
counts the outcome once, only when the save took effect.
"""

from __future__ import annotations

from shield.jobs.models import (
    FINAL_STATUSES,
    ItemResult,
    JobError,
    JobProgress,
    JobResult,
    JobState,
    JobStatus,
    utcnow,
)
from shield.jobs.outcomes import record_outcome
from shield.jobs.store import JobStore

# The stage a job shows once it has ended, by final status.
FINAL_STAGES = {
    JobStatus.SUCCEEDED: "done",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancelled",
}


def begin_attempt(state: JobState) -> None:
    """A worker takes the job: a retried attempt starts its counts afresh (documents stored by an
    earlier attempt come back `unchanged`). Saved by the first stage the worker reports."""
    state.status = JobStatus.RUNNING
    state.attempts += 1
    state.started_at = state.started_at or utcnow()
    state.error = None
    state.result = JobResult()
    state.progress = JobProgress()


def finish(store: JobStore, state: JobState, status: JobStatus, error: JobError | None) -> bool:
    """Move a job to a final state; False when it was already final (or has expired)."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"{status} is not a final status")
    state.status = status
    state.stage = FINAL_STAGES[status]
    state.error = error
    state.finished_at = utcnow()
    if not store.save(state):
        return False
    record_outcome(state, status.value)
    return True


def retry_later(store: JobStore, state: JobState, error: JobError) -> bool:
    """A failed attempt with retries left: the job waits in the queue for its next attempt."""
    state.status = JobStatus.QUEUED
    state.stage = "retrying"
    state.error = JobError(
        code=error.code,
        message=f"attempt {max(state.attempts, 1)} of {state.max_attempts} failed: "
        f"{error.message}; it will be retried",
        cause=error.cause,
    )
    if not store.save(state):
        return False
    record_outcome(state, "retried")
    return True


class JobReporter:
    """What a running job tells the world: its stage, each document's, and its progress counts.
    The pipeline reports through this; every report is one saved state and one SSE event."""

    def __init__(self, store: JobStore, state: JobState) -> None:
        self.store = store
        self.state = state

    def stage(self, stage: str, item: ItemResult | None = None) -> None:
        self.state.stage = stage
        if item is not None:
            item.status = stage
        self.save()

    def save(self) -> None:
        self.store.save(self.state)

    @property
    def cancel_requested(self) -> bool:
        return self.store.cancel_requested(self.state.job_id)
