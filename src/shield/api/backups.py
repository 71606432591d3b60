"""Backing up the platform into one archive, and restoring an archive into an empty platform.

A backup holds each collection of the vector store (its shard's files, taken with the
collection's writes held off), Shield's records in Redis (jobs, the knowledge graph's backlog and
document states, the sources), the named tokens (their hashes) and shield-lightrag's working
files. The graph feeder is held for the whole backup, so what the graph holds and what its
backlog still owes it agree in the archive.

A restore checks the whole archive (see shield.backup.archive) and that it fits this platform
(the same vector store kind and embedding model, an empty store, none of its Redis keys present,
a graph if it has one) before it changes anything; then it restores the collections, the Redis
records and the graph, in that order, and undoes the first two if a later step fails. The
named tokens come last: those whose names are free are added, and a token the deploy set since
(from the vault) is kept as it is.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from shield import __version__
from shield.access.tokens import TokenRecord
from shield.api.services import Services
from shield.backup.archive import (
    FORMAT,
    ArchivedCollection,
    ArchiveError,
    Manifest,
    read_archive,
    write_archive,
)
from shield.backup.redisdump import check_absent, export_keys, forget_keys, import_keys
from shield.errors import Conflict
from shield.logging import get_logger
from shield.sources.schedule import ensure_schedules

log = get_logger(__name__)
STALE_SCRATCH_SECONDS = 24 * 3600
REDIS_FILE = "redis/keys.jsonl"
GRAPH_FILE = "graph/state.tar"
TOKENS_FILE = "redis/tokens.jsonl"


def _export_tokens(services: Services, target: Path) -> int:
    records = services.tokens.all()
    target.write_text("".join(record.stored() + "\n" for record in records))
    return len(records)


def _archived_tokens(source: Path) -> list[TokenRecord]:
    if not source.is_file():
        return []
    records = []
    for number, line in enumerate(source.read_text().splitlines(), 1):
        try:
            records.append(TokenRecord.model_validate_json(line))
        except ValueError as exc:
            raise ArchiveError(f"{TOKENS_FILE} line {number} is no token record: {exc}") from None
    return records


def scratch_folder(services: Services) -> Path:
    """A private folder on the data disk for one backup or restore (removed by the caller).
    What a killed process left behind a day ago goes first."""
    root = services.settings.data_dir / "backups"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    stale = time.time() - STALE_SCRATCH_SECONDS
    for left in root.glob(".work-*"):
        if left.stat().st_mtime < stale:
            shutil.rmtree(left, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=".work-", dir=root))


def take_backup(services: Services, scratch: Path) -> tuple[Path, Manifest]:
    """The archive of the whole platform, written in `scratch`, and its manifest."""
    services.store.check_in_backups()
    staging = scratch / "staging"
    collections: list[ArchivedCollection] = []
    with services.graph_feed_lock:
        for info in services.store.list_collections():
            target = staging / "vectors" / info.name
            points = services.store.snapshot_collection(info.name, target)
            collections.append(ArchivedCollection(name=info.name, points=points))
        keys = export_keys(services.redis, staging / REDIS_FILE)
        tokens = _export_tokens(services, staging / TOKENS_FILE)
        graph = services.lightrag.configured
        if graph:
            services.lightrag.download_state(staging / GRAPH_FILE)
    manifest = Manifest(
        format=FORMAT,
        shield_version=__version__,
        vector_backend=services.store.backend,
        embedding_model=services.embedder.model_name,
        dimension=services.embedder.dimension,
        collections=collections,
        redis_keys=keys,
        tokens=tokens,
        graph=graph,
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    archive = scratch / f"shield-backup-{stamp}.tar.gz"
    write_archive(staging, manifest, archive)
    shutil.rmtree(staging)
    log.info("backup_taken", collections=len(collections), redis_keys=keys, graph=graph)
    return archive, manifest


def _check_fits(services: Services, manifest: Manifest, staging: Path) -> None:
    if manifest.vector_backend != services.store.backend:
        raise ArchiveError(
            f"the archive holds a {manifest.vector_backend} vector store; this platform's is "
            f"{services.store.backend}"
        )
    model, dimension = services.embedder.model_name, services.embedder.dimension
    if (manifest.embedding_model, manifest.dimension) != (model, dimension):
        raise ArchiveError(
            f"the archive's vectors are {manifest.embedding_model} ({manifest.dimension} "
            f"dimensions); this platform embeds with {model} ({dimension}): searches would "
            "compare the two"
        )
    if manifest.graph and not services.lightrag.configured:
        raise ArchiveError(
            "the archive holds a knowledge graph and this platform has none: set "
            "SHIELD_LIGHTRAG_URL, or restore into a platform with shield-lightrag"
        )
    for collection in manifest.collections:
        if not (staging / "vectors" / collection.name).is_dir():
            raise ArchiveError(f"the archive lists collection {collection.name!r} but lacks it")


def _check_empty(services: Services) -> None:
    """Nothing stored: no collection but the default one, made empty at the start."""
    default = services.settings.default_collection
    existing = [
        info.name
        for info in services.store.list_collections()
        if info.name != default or info.points > 0
    ]
    if existing:
        raise Conflict(
            f"a restore needs an empty platform; this one has {len(existing)} collection(s): "
            f"{', '.join(existing[:5])} (delete them, or restore into a new install)"
        )


def restore_backup(services: Services, archive: Path, scratch: Path) -> dict[str, Any]:
    """Restore `archive` into this (empty) platform; what was restored."""
    _check_empty(services)  # before unpacking what may be a large archive
    staging = scratch / "staging"
    staging.mkdir()
    manifest = read_archive(archive, staging)
    _check_fits(services, manifest, staging)
    redis_file = staging / REDIS_FILE
    rows = check_absent(services.redis, redis_file) if redis_file.is_file() else []
    archived_tokens = _archived_tokens(staging / TOKENS_FILE)
    restored: list[str] = []
    written: list[str] = []
    try:
        with services.graph_feed_lock:
            for collection in manifest.collections:
                if services.store.get_collection(collection.name) is not None:  # the empty default
                    services.store.delete_collection(collection.name)
                points = services.store.restore_collection(
                    collection.name, staging / "vectors" / collection.name
                )
                restored.append(collection.name)
                if points != collection.points:
                    raise ArchiveError(
                        f"collection {collection.name!r} has {points} points; the archive's "
                        f"manifest says {collection.points}"
                    )
            written = import_keys(services.redis, rows)
            if manifest.graph:
                services.lightrag.upload_state(staging / GRAPH_FILE)
    except BaseException:
        for name in restored:
            with suppress(Exception):
                services.index.delete_collection(name)
        with suppress(Exception):
            forget_keys(services.redis, written)
        raise
    added, kept = services.tokens.merge(archived_tokens)
    services.authenticator.table.refresh(force=True)
    ensure_schedules(services.queue.queue, services.sources)  # the sources' own, from now
    log.info("backup_restored", collections=restored, redis_keys=len(written), tokens=len(added))
    return {
        "shield_version": manifest.shield_version,
        "created_at": manifest.created_at,
        "collections": [c.model_dump() for c in manifest.collections],
        "redis_keys": len(written),
        "tokens": {"added": added, "kept": kept},
        "graph": manifest.graph,
    }
