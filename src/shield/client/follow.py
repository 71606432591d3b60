"""`--wait` of `shield ingest`, `shield crawl` and `shield sources sync`: follow jobs through
their event streams (SSE) with a progress bar on standard error, then the jobs as they ended."""

from __future__ import annotations

from dataclasses import dataclass

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from shield import apiclient
from shield.client.api import ShieldApi
from shield.client.output import error_console
from shield.jobs.models import JobState


@dataclass(frozen=True)
class Submitted:
    """A job a command queued, and what it is about (a file's source, a URL)."""

    source: str
    job_id: str


def _bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=error_console(),
    )


def _note(progress: Progress, line: str) -> None:
    """A line above the bar: the record left once the bar is gone (or never drawn, piped)."""
    progress.console.print(line, markup=False, highlight=False)


def wait_for_jobs(api: ShieldApi, submitted: list[Submitted]) -> list[JobState]:
    """Each job once it has ended, in the order given; a line for each as it ends."""
    finished: list[JobState] = []
    with _bar() as progress:
        task = progress.add_task("waiting", total=len(submitted))
        for number, item in enumerate(submitted, 1):
            for job in api.job_events(item.job_id):
                progress.update(task, description=f"{item.source}: {job.stage}")
            job = api.send(apiclient.get_job(item.job_id))  # with the graph's states, read live
            _note(progress, f"[{number}/{len(submitted)}] {item.source}: {job.status}")
            progress.advance(task)
            finished.append(job)
    return finished


def wait_for_crawl(api: ShieldApi, item: Submitted, max_pages: int) -> JobState:
    """The crawl once it has ended; the bar counts pages read against the most it may read."""
    with _bar() as progress:
        task = progress.add_task(item.source, total=max_pages)
        for state in api.job_events(item.job_id):
            progress.update(
                task,
                completed=state.progress.pages_fetched,
                description=f"{item.source}: {state.stage}",
            )
        job = api.send(apiclient.get_job(item.job_id))
        pages = job.progress
        progress.update(task, completed=pages.pages_fetched, total=pages.pages_fetched)
        _note(
            progress,
            f"{item.source}: {job.status}, {pages.pages_fetched} pages read, "
            f"{pages.pages_skipped} skipped, {pages.pages_failed} failed",
        )
    return job


def wait_for_sync(api: ShieldApi, item: Submitted) -> JobState:
    """A source's sync once it has ended; the bar counts the documents it has looked at."""
    with _bar() as progress:
        task = progress.add_task(item.source, total=None)
        for state in api.job_events(item.job_id):
            looked = len(state.result.documents)
            progress.update(task, completed=looked, description=f"{item.source}: {state.stage}")
        job = api.send(apiclient.get_job(item.job_id))
        progress.update(task, completed=len(job.result.documents), total=len(job.result.documents))
        _note(progress, f"{item.source}: {job.status}")
    return job
