"""`shield search QUERY`: the best passages (or documents) of a collection."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from shield import apiclient
from shield.client.api import ShieldApi, client_settings, request
from shield.client.output import console, print_json
from shield.fields import SearchMode
from shield.schemas import MAX_OFFSET, MAX_SEARCH_LIMIT, SearchRequest

SNIPPET_CHARS = 240


def parse_filters(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`key=value` pairs as a search filter; a key given twice matches either value."""
    conditions: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{pair!r} is not key=value (e.g. source=a.md, metadata.team=ops)",
                param_hint="--filter",
            )
        conditions.setdefault(key.strip(), []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in conditions.items()}


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


@click.command("search")
@click.argument("query")
@click.option("--collection", help="In this collection (default: shield-api's default).")
@click.option("--limit", type=click.IntRange(1, MAX_SEARCH_LIMIT), default=10, show_default=True)
@click.option(
    "--offset", type=click.IntRange(0, MAX_OFFSET), default=0, help="Results skipped first."
)
@click.option(
    "--mode",
    type=click.Choice([mode.value for mode in SearchMode]),
    help="hybrid (default): exact words and meaning fused; dense: meaning; lexical: BM25.",
)
@click.option(
    "--by-document", is_flag=True, help="The best passage of each document (limit counts them)."
)
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=VALUE",
    help="Only passages whose KEY is VALUE: source, title, document_id or metadata.NAME "
    "(repeatable; the same key twice matches either value).",
)
@click.option("--min-score", type=float, help="Leave out results scoring below it.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def search(
    query: str,
    collection: str | None,
    limit: int,
    offset: int,
    mode: str | None,
    by_document: bool,
    filters: tuple[str, ...],
    min_score: float | None,
    as_json: bool,
) -> None:
    """Search a collection; the best passages first."""
    body = request(
        SearchRequest,
        query=query,
        limit=limit,
        offset=offset,
        collection=collection,
        mode=mode,
        group_by="document" if by_document else None,
        filter=parse_filters(filters) or None,
        score_threshold=min_score,
    )
    with ShieldApi(client_settings()) as api:
        answer = api.send(apiclient.search(body))
    if as_json:
        print_json(answer)
        return
    if not answer.results:
        click.echo("nothing found", err=True)
        return
    table = Table("score", "source", "passage", title=f"{answer.mode} search", show_lines=True)
    for hit in answer.results:
        path = hit.headings
        where = " > ".join(path if hit.title in ("", *path[:1]) else [hit.title, *path])
        source = f"{hit.source}\n{where}" if where else hit.source
        table.add_row(f"{hit.score:.3f}", source, _snippet(hit.text))
    console().print(table)
