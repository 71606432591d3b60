"""`shield sources add|list|show|sync|remove`: web sites, sitemaps and inbox folders kept in sync
with a collection (docs/guides/SOURCES.md)."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from shield import apiclient
from shield.client.api import REFUSED, ShieldApi, client_settings, request
from shield.client.follow import Submitted, wait_for_sync
from shield.client.output import console, print_json
from shield.jobs.models import JobStatus
from shield.jobs.requests import CRAWL_MAX_DEPTH_LIMIT, CRAWL_MAX_PAGES_LIMIT
from shield.sources.models import Source, SourceCreate, SyncRequest

_JSON = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
_WAIT = click.option(
    "--wait",
    is_flag=True,
    help="Follow the sync with a progress bar, then show its counts; exit 1 unless it succeeded.",
)


@click.group("sources", invoke_without_command=True)
@click.option("--collection", help="Only this collection's sources.")
@_JSON
@click.pass_context
def sources(context: click.Context, collection: str | None, as_json: bool) -> None:
    """List the sources kept in sync (or: add, show, sync, remove)."""
    if context.invoked_subcommand is None:
        context.invoke(list_sources, collection=collection, as_json=as_json)


@sources.command("add")
@click.argument("kind", type=click.Choice(["web", "sitemap", "folder", "git"]))
@click.argument("where", metavar="URL|PATH")
@click.option("--collection", help="Into this collection (default: shield-api's default).")
@click.option("--every", help="Sync by itself every 30m, 6h, 1d (at least 1m); else when asked.")
@click.option("--name", help="A name to show.")
@click.option(
    "--no-prune", is_flag=True, help="Keep documents whose page or file is gone from the source."
)
@click.option("--max-pages", type=click.IntRange(1, CRAWL_MAX_PAGES_LIMIT), help="web, sitemap.")
@click.option("--max-depth", type=click.IntRange(0, CRAWL_MAX_DEPTH_LIMIT), help="web.")
@click.option("--allow", "allowed", multiple=True, metavar="ORIGIN", help="web (repeatable).")
@click.option("--include", multiple=True, metavar="GLOB", help="folder, git: `**/*.md`.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="folder: `drafts/**`.")
@click.option("--branch", help="git: the branch to follow.")
@click.option("--sync", "sync_now", is_flag=True, help="Sync it once now.")
@_WAIT
@_JSON
def add_source(
    kind: str,
    where: str,
    collection: str | None,
    every: str | None,
    name: str | None,
    no_prune: bool,
    max_pages: int | None,
    max_depth: int | None,
    allowed: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    branch: str | None,
    sync_now: bool,
    wait: bool,
    as_json: bool,
) -> None:
    """Keep a web site (its start URL), a sitemap (its URL), a folder of the workers' inbox
    (its path in the inbox) or a Git repository in sync with a collection."""
    located = {"url": where} if kind in ("web", "sitemap") or "://" in where else {"path": where}
    body = request(
        SourceCreate, kind=kind, collection=collection, every=every, name=name,
        prune=False if no_prune else None, max_pages=max_pages, max_depth=max_depth,
        allowed_domains=list(allowed) or None, include=list(include) or None,
        exclude=list(exclude) or None, branch=branch, **located,
    )  # fmt: skip
    with ShieldApi(client_settings()) as api:
        source = api.send(apiclient.create_source(body))
        if not (sync_now or wait):
            _show(source, as_json)
            return
        _sync(api, source, force=False, wait=wait, as_json=as_json)


@sources.command("list")
@click.option("--collection", help="Only this collection's sources.")
@_JSON
def list_sources(collection: str | None, as_json: bool) -> None:
    """The sources you may read, with their last sync."""
    with ShieldApi(client_settings()) as api:
        listed = api.send(apiclient.list_sources(collection)).sources
    if as_json:
        print_json({"sources": listed})
        return
    table = Table("source", "kind", "from", "collection", "every", "documents", "last sync")
    for source in listed:
        table.add_row(
            source.source_id, source.kind, source.url or source.path or "", source.collection,
            source.every or "-", str(source.documents), _last(source),
        )  # fmt: skip
    console().print(table)


@sources.command("show")
@click.argument("source_id")
@_JSON
def show_source(source_id: str, as_json: bool) -> None:
    """One source: what it reads, its options, its last sync and its next."""
    with ShieldApi(client_settings()) as api:
        _show(api.send(apiclient.get_source(source_id)), as_json)


@sources.command("sync")
@click.argument("source_id")
@click.option(
    "--force",
    is_flag=True,
    help="Remove what is gone even past the share one sync may remove at once.",
)
@_WAIT
@_JSON
def sync_source(source_id: str, force: bool, wait: bool, as_json: bool) -> None:
    """Sync a source now (one sync of a source runs at a time)."""
    with ShieldApi(client_settings()) as api:
        source = api.send(apiclient.get_source(source_id))
        _sync(api, source, force=force, wait=wait, as_json=as_json)


@sources.command("remove")
@click.argument("source_id")
@click.option("--delete-documents", is_flag=True, help="Delete its documents too (else kept).")
@_JSON
def remove_source(source_id: str, delete_documents: bool, as_json: bool) -> None:
    """Stop keeping a source in sync."""
    documents = "delete" if delete_documents else "keep"
    with ShieldApi(client_settings()) as api:
        removed = api.send(apiclient.delete_source(source_id, documents))
    if as_json:
        print_json(removed)
    else:
        click.echo(f"removed source {source_id}; {removed.documents_deleted} documents deleted")


def _sync(api: ShieldApi, source: Source, *, force: bool, wait: bool, as_json: bool) -> None:
    body = SyncRequest(force=True) if force else None
    job_id = api.send(apiclient.sync_source(source.source_id, body)).job_id
    if not wait:
        if as_json:
            print_json({"source_id": source.source_id, "job_id": job_id})
        else:
            click.echo(job_id)
        return
    job = wait_for_sync(api, Submitted(source.url or source.path or source.source_id, job_id))
    synced = api.send(apiclient.get_source(source.source_id))
    if as_json:
        print_json({"job": job, "source": synced})
    else:
        click.echo(f"{source.source_id}: {_last(synced)}")
        if job.error:
            click.echo(f"error: {job.error.message}", err=True)
    if job.status != JobStatus.SUCCEEDED:
        sys.exit(REFUSED)


def _last(source: Source) -> str:
    last = source.last_sync
    if last is None:
        return "never"
    return (
        f"{last.status} {last.ended_at or last.started_at or ''}: {last.added} added, "
        f"{last.changed} changed, {last.unchanged} unchanged, {last.removed} removed, "
        f"{last.failed} failed"
    )


def _show(source: Source, as_json: bool) -> None:
    if as_json:
        print_json(source)
        return
    table = Table(show_header=False)
    table.add_row("source", source.source_id)
    table.add_row("kind", source.kind)
    table.add_row("from", source.url or source.path or "")
    table.add_row("collection", source.collection)
    table.add_row("every", source.every or "only when asked")
    table.add_row("prune", "yes" if source.prune else "no")
    for option, value in source.options().items():
        table.add_row(option, ", ".join(value) if isinstance(value, list) else str(value))
    table.add_row("documents", str(source.documents))
    table.add_row("last sync", _last(source))
    if source.last_sync and source.last_sync.commit:
        table.add_row("commit", source.last_sync.commit)
    if source.last_sync and source.last_sync.error:
        table.add_row("error", source.last_sync.error)
    table.add_row("next sync", source.next_sync_at or "-")
    table.add_row("syncing", source.syncing or "-")
    console().print(table)
