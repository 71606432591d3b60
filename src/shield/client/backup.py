"""`shield backup [FILE]` and `shield restore FILE`: the whole platform into one archive and back
(docs/guides/BACKUP.md)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from shield.backup.archive import ArchiveError, Manifest, check_version, manifest_of
from shield.client.api import ShieldApi, client_settings
from shield.client.output import console, plural, print_json


def _target(given: Path | None) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"shield-backup-{stamp}.tar.gz"
    if given is None:
        return Path(name)
    return given / name if given.is_dir() else given


def _summary(manifest: Manifest) -> dict[str, Any]:
    return manifest.model_dump(exclude={"files"})


def _table(manifest: Manifest, title: str) -> Table:
    table = Table("collection", "points", title=title)
    for collection in manifest.collections:
        table.add_row(collection.name, str(collection.points))
    return table


@click.command("backup")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the archive's manifest as JSON.")
def backup(file: Path | None, as_json: bool) -> None:
    """Back up the platform into FILE (default: shield-backup-<time>.tar.gz here; a folder takes
    that name inside it): every collection, the job records and the knowledge graph."""
    target = _target(file)
    if target.exists():
        raise click.UsageError(f"{target} exists already; name another file")
    with ShieldApi(client_settings()) as api:
        api.backup_into(target)
    os.chmod(target, 0o600)  # it holds every document
    manifest = manifest_of(target)
    if as_json:
        print_json({"file": str(target), "bytes": target.stat().st_size, **_summary(manifest)})
        return
    out = console()
    out.print(_table(manifest, f"backup of Shield {manifest.shield_version}"))
    graph = "with" if manifest.graph else "without"
    out.print(
        f"{target}: {plural(len(manifest.collections), 'collection')}, "
        f"{plural(manifest.redis_keys, 'Redis record')}, {graph} a knowledge graph, "
        f"{target.stat().st_size} bytes",
        markup=False,
        highlight=False,
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print what was restored as JSON.")
def restore(file: Path, as_json: bool) -> None:
    """Restore a backup archive into an empty platform. The archive is checked whole first (by
    shield-api): a refused archive changes nothing."""
    try:  # the quick checks here, before sending what may be gigabytes
        check_version(manifest_of(file))
    except ArchiveError as exc:
        raise click.ClickException(f"{file}: {exc.message}") from None
    with ShieldApi(client_settings()) as api:
        restored = api.restore(file)
    if as_json:
        print_json(restored)
        return
    graph = "and the knowledge graph" if restored["graph"] else "(no knowledge graph in it)"
    click.echo(
        f"restored {plural(len(restored['collections']), 'collection')}, "
        f"{plural(restored['redis_keys'], 'Redis record')} {graph} from a backup of "
        f"{restored['created_at']} (Shield {restored['shield_version']})"
    )
