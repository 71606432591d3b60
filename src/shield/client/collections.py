"""`shield collections list|create|delete` and `shield documents list|show|delete`."""

from __future__ import annotations

import sys

import click
from rich.table import Column, Table

from shield import apiclient
from shield.client.api import ShieldApi, client_settings, request
from shield.client.output import console, plural, print_json
from shield.schemas import DOCUMENTS_PAGE, MAX_DOCUMENTS_LISTED, CollectionCreate

_JSON = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
_YES = click.option("--yes", is_flag=True, help="Do not ask: needed when not at a terminal.")
_COLLECTION = click.option("--collection", help="In this collection (default: shield-api's).")


def _confirm(question: str, yes: bool) -> None:
    """Deleting asks first; a script must say --yes, since nobody is there to answer."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError(f"{question} Nobody can answer here: add --yes")
    click.confirm(question, abort=True)


@click.group("collections", invoke_without_command=True)
@_JSON
@click.pass_context
def collections(context: click.Context, as_json: bool) -> None:
    """List collections (or: create, delete)."""
    if context.invoked_subcommand is None:
        context.invoke(list_collections, as_json=as_json)


@collections.command("list")
@_JSON
def list_collections(as_json: bool) -> None:
    """Collections with their passages, model and indexes."""
    with ShieldApi(client_settings()) as api:
        found = api.send(apiclient.list_collections())
    if as_json:
        print_json(found)
        return
    table = Table("collection", "passages", "model", "dimension", "lexical", "fusion")
    for item in found.collections:
        table.add_row(
            item.name,
            str(item.points),
            item.embedding_model,
            str(item.dimension),
            "yes" if item.lexical else "no (reindex)",
            item.fusion,
        )
    console().print(table)


@collections.command("create")
@click.argument("name")
@click.option(
    "--fusion",
    type=click.Choice(["dbsf", "rrf"]),
    help="How hybrid searches fuse the two rankings (default dbsf, measured best).",
)
@_JSON
def create_collection(name: str, fusion: str | None, as_json: bool) -> None:
    """Create an empty collection (a write with --create-collection also makes one)."""
    body = request(CollectionCreate, name=name, fusion=fusion)
    with ShieldApi(client_settings()) as api:
        made = api.send(apiclient.create_collection(body))
    if as_json:
        print_json(made)
    else:
        click.echo(f"created collection {made.name} (fusion {made.fusion})")


@collections.command("delete")
@click.argument("name")
@_YES
@_JSON
def delete_collection(name: str, yes: bool, as_json: bool) -> None:
    """Delete a collection: every document in it, and their part of the knowledge graph."""
    with ShieldApi(client_settings()) as api:
        documents = api.send(apiclient.list_documents(name, limit=1)).total
        _confirm(f"Delete collection {name!r} and its {plural(documents, 'document')}?", yes)
        gone = api.send(apiclient.delete_collection(name))
    if as_json:
        print_json(gone)
    else:
        click.echo(f"deleted collection {name} ({plural(gone.documents, 'document')})")


_LIMIT = click.option(
    "--limit", type=click.IntRange(1, MAX_DOCUMENTS_LISTED), default=DOCUMENTS_PAGE,
    show_default=True,
    help="Documents in this page, by source.",
)  # fmt: skip
_OFFSET = click.option(
    "--offset", type=click.IntRange(0, MAX_DOCUMENTS_LISTED), default=0,
    help="Documents to skip: the next page.",
)  # fmt: skip


@click.group("documents", invoke_without_command=True)
@_COLLECTION
@_LIMIT
@_OFFSET
@_JSON
@click.pass_context
def documents(
    context: click.Context, collection: str | None, limit: int, offset: int, as_json: bool
) -> None:
    """List a collection's documents (or: show, delete)."""
    if context.invoked_subcommand is None:
        context.invoke(
            list_documents, collection=collection, limit=limit, offset=offset, as_json=as_json
        )


@documents.command("list")
@_COLLECTION
@_LIMIT
@_OFFSET
@_JSON
def list_documents(collection: str | None, limit: int, offset: int, as_json: bool) -> None:
    """A collection's documents, with their passages and graph state, a page at a time."""
    with ShieldApi(client_settings()) as api:
        listed = api.send(apiclient.list_documents(collection or None, limit, offset))
    if as_json:
        print_json(listed)
        return
    table = Table(
        Column("document", no_wrap=True), "source", "title", "chunks", "graph", "ingested"
    )
    for doc in listed.documents:
        table.add_row(
            doc.document_id,
            doc.source,
            doc.title,
            str(doc.chunks),
            doc.graph or "",
            doc.ingested_at[:19].replace("T", " "),
        )
    out = console()
    out.print(table)
    shown = len(listed.documents)
    more = listed.next_offset
    if more is None and offset == 0:
        out.print(f"{plural(shown, 'document')} in {listed.collection}")
    else:
        out.print(
            f"{shown} of {listed.total} documents in {listed.collection}"
            + (f"; the next page: --offset {more}" if more is not None else "")
        )


@documents.command("show")
@click.argument("document_id")
@_COLLECTION
@_JSON
def show_document(document_id: str, collection: str | None, as_json: bool) -> None:
    """One document: its source, title, passages, metadata and graph state."""
    with ShieldApi(client_settings()) as api:
        doc = api.send(apiclient.get_document(document_id, collection or None))
    if as_json:
        print_json(doc)
        return
    table = Table(show_header=False, box=None)
    for key in ("document_id", "collection", "source", "title", "chunks", "content_hash"):
        table.add_row(key, str(getattr(doc, key) or ""))
    table.add_row("ingested", doc.ingested_at)
    table.add_row("job", doc.job_id or "")
    table.add_row("graph", doc.graph or "")
    if doc.graph_error:
        table.add_row("graph error", doc.graph_error)
    for key, value in sorted(doc.metadata.items()):
        table.add_row(f"metadata.{key}", str(value))
    console().print(table)


@documents.command("delete")
@click.argument("document_ids", nargs=-1, required=True)
@_COLLECTION
@_YES
@_JSON
def delete_documents(
    document_ids: tuple[str, ...], collection: str | None, yes: bool, as_json: bool
) -> None:
    """Delete documents and all their passages (the graph forgets them soon after)."""
    _confirm(f"Delete {plural(len(document_ids), 'document')}?", yes)
    with ShieldApi(client_settings()) as api:
        gone = [
            api.send(apiclient.delete_document(doc_id, collection or None))
            for doc_id in document_ids
        ]
    if as_json:
        print_json({"deleted": [item.model_dump(mode="json") for item in gone]})
    else:
        chunks = sum(item.chunks for item in gone)
        click.echo(f"deleted {plural(len(gone), 'document')} ({plural(chunks, 'passage')})")
