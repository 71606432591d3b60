"""How client commands print: tables for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console

PIPED_WIDTH = 160


def console() -> Console:
    """Standard output's console. Piped, rich assumes 80 columns: tables are wider, and
    wrapped rows (ids cut in two) read badly and cannot be grepped."""
    return Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))
