"""`shield jobs`: list jobs by status, kind and collection, show one, cancel one, several or every
one that matches."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast, get_args

import click
from rich.table import Column, Table

from shield import apiclient
from shield.client.api import REFUSED, ShieldApi, client_settings, request
from shield.client.output import console, documents_table, plural, print_json
from shield.jobs.models import JobKind, JobState, JobStatus
from shield.schemas import MAX_JOBS_LISTED, CancelJobs

Command = TypeVar("Command", bound=Callable[..., Any])
_STATUSES = [s.value for s in JobStatus]
_UNFINISHED = ["queued", "running"]


def _progress(job: JobState) -> str:
    progress = job.progress
    if job.kind == "reindex":
        return f"{progress.points_done}/{progress.points_total} points"
    if job.kind == "crawl":
        return f"{progress.pages_fetched} pages"
    return f"{progress.documents_done}/{progress.documents_total} documents"


def _table(jobs: list[JobState]) -> Table:
    table = Table(Column("job", no_wrap=True), "kind", "status", "stage", "collection")
    table.add_column("progress")
    table.add_column("created", no_wrap=True)
    for job in jobs:
        table.add_row(
            job.job_id,
            job.kind,
            job.status,
            job.stage,
            job.collection,
            _progress(job),
            job.created_at[:19].replace("T", " "),
        )
    return table


def list_jobs(
    api: ShieldApi,
    statuses: tuple[str, ...],
    kinds: tuple[str, ...],
    collection: str | None,
    limit: int,
) -> list[JobState]:
    """Newest first, page after page, until `limit` jobs (0: every one kept)."""
    jobs: list[JobState] = []
    cursor: str | None = None
    while True:
        wanted = MAX_JOBS_LISTED if limit == 0 else min(MAX_JOBS_LISTED, limit - len(jobs))
        call = apiclient.list_jobs(
            [JobStatus(s) for s in statuses],
            cast(list[JobKind], list(kinds)),
            collection or None,
            wanted,
            cursor,
        )
        page = api.send(call)
        jobs += page.jobs
        if page.next_cursor is None or (limit and len(jobs) >= limit):
            return jobs
        cursor = page.next_cursor


def _filters(statuses: list[str], prefix: str = "") -> Callable[[Command], Command]:
    """The --status, --kind and --collection options of listing and cancelling."""

    def say(text: str) -> str:
        return (prefix + text)[0].upper() + (prefix + text)[1:]

    options = [
        click.option(
            "--status",
            "statuses",
            multiple=True,
            type=click.Choice(statuses),
            help=say("only jobs in this state (repeatable)."),
        ),
        click.option(
            "--kind",
            "kinds",
            multiple=True,
            type=click.Choice(get_args(JobKind)),
            help=say("only jobs of this kind (repeatable)."),
        ),
        click.option("--collection", help=say("only this collection's jobs.")),
    ]

    def decorate(command: Command) -> Command:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


@click.group("jobs", invoke_without_command=True)
@_filters(_STATUSES)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="How many to show, newest first; 0 for every job kept.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON.")
@click.pass_context
def jobs(
    context: click.Context,
    statuses: tuple[str, ...],
    kinds: tuple[str, ...],
    collection: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List jobs, newest first (or: show, cancel)."""
    if context.invoked_subcommand is not None:
        return
    with ShieldApi(client_settings()) as api:
        found = list_jobs(api, statuses, kinds, collection, limit)
    if as_json:
        print_json({"jobs": [job.model_dump(mode="json") for job in found]})
    elif found:
        console().print(_table(found))
    else:
        click.echo("no jobs match", err=True)


@jobs.command("show")
@click.argument("job_id")
@click.option(
    "--follow",
    is_flag=True,
    help="Print each change until the job ends; exit 0 if it succeeded, 1 if not.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
def show(job_id: str, follow: bool, as_json: bool) -> None:
    """A job's state, progress and what became of each document or page."""
    with ShieldApi(client_settings()) as api:
        if follow:
            _follow(api, job_id, as_json)
        job = api.send(apiclient.get_job(job_id))  # with its documents' graph states, live
    _show(job, as_json)
    if follow and job.status != JobStatus.SUCCEEDED:
        sys.exit(REFUSED)


def _follow(api: ShieldApi, job_id: str, as_json: bool) -> None:
    """A line for each change of the job until it ends (on stderr with --json)."""
    for job in api.job_events(job_id):
        click.echo(f"{job.status:<9} {job.stage:<12} {_progress(job)}", err=as_json)


def _show(job: JobState, as_json: bool) -> None:
    if as_json:
        print_json(job)
        return
    out = console()
    out.print(_table([job]))
    if job.error:
        out.print(f"error: {job.error.code}: {job.error.message}")
    if job.result.documents:
        out.print(documents_table(job.result.documents))


@jobs.command("cancel")
@click.argument("job_ids", nargs=-1)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every unfinished job (queued or running) that matches the filters below.",
)
@_filters(_UNFINISHED, prefix="with --all: ")
@click.option("--json", "as_json", is_flag=True, help="Print the cancelled ids as JSON.")
def cancel(
    job_ids: tuple[str, ...],
    everything: bool,
    statuses: tuple[str, ...],
    kinds: tuple[str, ...],
    collection: str | None,
    as_json: bool,
) -> None:
    """Cancel jobs by id, or with --all every unfinished one that matches."""
    if bool(job_ids) == everything:
        raise click.UsageError("name the jobs to cancel, or give --all (with filters)")
    if not everything and (statuses or kinds or collection):
        raise click.UsageError("--status, --kind and --collection go with --all")
    with ShieldApi(client_settings()) as api:
        if everything:
            body = request(
                CancelJobs,
                status=list(statuses or _UNFINISHED),
                kind=list(kinds) or None,
                collection=collection or None,
            )
            cancelled = api.send(apiclient.cancel_jobs(body)).cancelled
        else:
            cancelled = [api.send(apiclient.cancel_job(job_id)).job_id for job_id in job_ids]
    if as_json:
        print_json({"cancelled": cancelled})
    else:
        click.echo(f"cancelled {plural(len(cancelled), 'job')}")
