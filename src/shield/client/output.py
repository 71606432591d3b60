"""How client commands print: tables for people, JSON for scripts, progress on standard error."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

import click
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.table import Table

from shield.jobs.models import ItemResult

PIPED_WIDTH = 160


def console() -> Console:
    """Standard output's console. Piped, rich assumes 80 columns: tables are wider, and
    wrapped rows (ids cut in two) read badly and cannot be grepped."""
    return Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)


def error_console() -> Console:
    """Standard error's: progress and notes, so that standard output stays the answer."""
    return Console(stderr=True, width=None if sys.stderr.isatty() else PIPED_WIDTH)


def print_json(data: Any) -> None:
    """A model (as shield-api answered it) or plain data holding models, as indented JSON."""
    click.echo(json.dumps(to_jsonable_python(data), indent=2))


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def documents_table(items: Iterable[ItemResult]) -> Table:
    """What became of each document (or page) of jobs: a job result's `documents`."""
    table = Table("source", "status", "chunks", "graph", "error")
    for item in items:
        table.add_row(
            item.source,
            item.status,
            str(item.chunks),
            item.graph or "",
            item.error or item.graph_error or "",
        )
    return table
