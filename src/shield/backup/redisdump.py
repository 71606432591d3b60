"""Shield's records in Redis, in Redis's own serialisation (DUMP and RESTORE): jobs with their
requests and events, the job indexes, the knowledge graph's backlog and document states, and
the sources with what each held at its last sync.

What is not kept: uploads waiting for a worker (large, and only useful to a queue that a restore
does not bring back), heartbeats and cancel flags (a few seconds' worth), a source's running
sync and its waiting schedule (RQ's, which shield-api puts back after a restore). RQ's own queue
is not kept either: a job that was queued or running when the backup was taken comes back
without a worker to run it, and the reaper marks it `lost`, as after a Redis that lost its data.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from redis import Redis

from shield.backup.archive import ArchiveError

PATTERNS = (
    "shield:job:*", "shield:jobs", "shield:jobs:*", "shield:graph:*", "shield:sources",
    "shield:source:*",
)  # fmt: skip
SKIPPED_SUFFIXES = (":upload", ":heartbeat", ":sync", ":schedule")
SCAN_BATCH = 1000


def kept_keys(redis: Redis) -> Iterator[bytes]:
    for pattern in PATTERNS:
        for key in redis.scan_iter(match=pattern, count=SCAN_BATCH):
            if not key.decode().endswith(SKIPPED_SUFFIXES):
                yield key


def export_keys(redis: Redis, target: Path) -> int:
    """Every kept key as a JSON line: its name, its time to live (ms; 0 for none) and its DUMP."""
    count = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w") as out:
        for key in kept_keys(redis):
            with redis.pipeline(transaction=True) as pipe:
                pipe.dump(key)
                pipe.pttl(key)
                dumped, ttl = pipe.execute()
            if dumped is None:
                continue  # expired between the scan and now
            row = {
                "key": key.decode(),
                "ttl_ms": max(int(ttl), 0),
                "dump": base64.b64encode(dumped).decode(),
            }
            out.write(json.dumps(row) + "\n")
            count += 1
    return count


def _rows(source: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(source.read_text().splitlines(), 1):
        try:
            row = json.loads(line)
            if not str(row["key"]).startswith("shield:"):
                raise ValueError(f"{row['key']!r} is not one of Shield's keys")
            dumped = base64.b64decode(row["dump"], validate=True)
            rows.append({"key": row["key"], "ttl_ms": max(int(row["ttl_ms"]), 0), "dump": dumped})
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise ArchiveError(f"{source.name} line {number} is no Redis record: {exc}") from None
    return rows


def check_absent(redis: Redis, source: Path) -> list[dict[str, Any]]:
    """The records to restore, once none of their keys exists (a restore never overwrites)."""
    rows = _rows(source)
    present = [row["key"] for row in rows if redis.exists(row["key"])]
    if present:
        raise ArchiveError(
            f"{len(present)} of the archive's Redis keys exist already (e.g. {present[0]}): "
            "restore into a platform whose Redis holds no Shield jobs"
        )
    return rows


def import_keys(redis: Redis, rows: list[dict[str, Any]]) -> list[str]:
    """RESTORE every record, all or none; the keys written. (A Redis transaction runs every
    command even when one fails: the ones that succeeded are deleted again.)"""
    with redis.pipeline(transaction=True) as pipe:
        for row in rows:
            pipe.restore(row["key"], row["ttl_ms"], row["dump"])
        results = pipe.execute(raise_on_error=False)
    failed = [(row, r) for row, r in zip(rows, results, strict=True) if isinstance(r, Exception)]
    if failed:
        written = [
            row["key"] for row, r in zip(rows, results, strict=True) if not isinstance(r, Exception)
        ]
        forget_keys(redis, written)
        row, error = failed[0]
        raise ArchiveError(f"Redis refused the archive's record of {row['key']}: {error}")
    return [row["key"] for row in rows]


def forget_keys(redis: Redis, keys: list[str]) -> None:
    """Undo `import_keys` when a later part of a restore fails."""
    for start in range(0, len(keys), SCAN_BATCH):
        redis.delete(*keys[start : start + SCAN_BATCH])
