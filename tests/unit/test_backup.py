"""The parts of a backup on their own: the archive (written, read back, and every way a hostile or
damaged one is refused), Shield's Redis records with a real Redis, and a collection of the
embedded store taken and restored with the real Qdrant Edge engine."""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest
from qdrant_client import QdrantClient
from redis import Redis

from shield.api.backups import scratch_folder
from shield.api.services import Services
from shield.backup.archive import (
    FORMAT,
    ArchiveError,
    Manifest,
    check_version,
    read_archive,
    untar_plain,
    write_archive,
)
from shield.backup.redisdump import check_absent, export_keys, forget_keys, import_keys
from shield.fields import SearchMode
from shield.vectorstore.base import NotInBackups, PointRecord, StoreError, StoreQuery
from shield.vectorstore.edge import EdgeVectorStore
from shield.vectorstore.server import QdrantServerStore


def _manifest(**changes: object) -> Manifest:
    fields: dict[str, object] = {
        "format": FORMAT,
        "shield_version": "0.1.0",
        "vector_backend": "embedded",
        "embedding_model": "all-MiniLM-L6-v2",
        "dimension": 384,
        "collections": [{"name": "ops", "points": 2}],
        "redis_keys": 1,
        "graph": False,
    }
    return Manifest.model_validate({**fields, **changes})


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    staging = tmp_path / "staging"
    (staging / "vectors" / "ops" / "shard").mkdir(parents=True)
    (staging / "vectors" / "ops" / "collection.json").write_text('{"dimension": 384}')
    (staging / "vectors" / "ops" / "shard" / "segment.bin").write_bytes(bytes(range(256)) * 64)
    (staging / "redis").mkdir()
    (staging / "redis" / "keys.jsonl").write_text('{"key": "shield:jobs"}\n')
    write_archive(staging, _manifest(), tmp_path / "backup.tar.gz")
    return tmp_path / "backup.tar.gz"


def _members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive, "r:gz") as tar:
        return [
            (m, tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
            for m in tar
        ]


def _repacked(archive: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    target = archive.with_name("repacked.tar.gz")
    with tarfile.open(target, "w:gz") as tar:
        for member, data in members:
            member.size = len(data) if member.isfile() else 0
            tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return target


def test_an_archive_reads_back_whole_with_its_manifest_first(archive: Path, tmp_path: Path) -> None:
    assert _members(archive)[0][0].name == "manifest.json"
    staging = tmp_path / "out"
    staging.mkdir()
    manifest = read_archive(archive, staging)
    assert [c.name for c in manifest.collections] == ["ops"]
    assert sorted(f.path for f in manifest.files) == [
        "redis/keys.jsonl",
        "vectors/ops/collection.json",
        "vectors/ops/shard/segment.bin",
    ]
    shard = staging / "vectors" / "ops" / "shard" / "segment.bin"
    assert shard.read_bytes() == bytes(range(256)) * 64


def _extra(
    name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"x", link: str = ""
) -> tuple[tarfile.TarInfo, bytes]:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, link
    return member, data


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda ms: ms[1:], "first member is not manifest.json"),
        (lambda ms: [*ms, _extra("vectors/../../etc/cron.d/job")], "leads out"),
        (lambda ms: [*ms, _extra("/etc/passwd")], "leads out"),
        (lambda ms: [*ms, _extra("secrets/token")], "which no Shield backup has"),
        (lambda ms: [*ms, _extra("vectors/ops/extra.bin")], "does not list"),
        (lambda ms: [*ms, _extra("vectors/ops/l", tarfile.SYMTYPE, b"", "/etc/passwd")], "plain"),
        (
            lambda ms: [*ms, _extra("vectors/ops/h", tarfile.LNKTYPE, b"", "redis/keys.jsonl")],
            "plain",
        ),
        (lambda ms: [*ms, _extra("vectors/ops/dev", tarfile.CHRTYPE, b"")], "plain"),
        (lambda ms: [m for m in ms if not m[0].name.startswith("redis/")], "lacks 1 file"),
        (
            lambda ms: [(m, d[:-1] + b"?" if m.name.endswith(".bin") else d) for m, d in ms],
            "does not match its checksum",
        ),
        (
            lambda ms: [(m, d + b"!" if m.name.endswith(".jsonl") else d) for m, d in ms],
            "its manifest says",
        ),
        (lambda ms: [*ms, ms[-1]], "does not list"),  # a file twice: the second would overwrite
    ],
)
def test_a_hostile_or_damaged_archive_is_refused(
    archive: Path, tmp_path: Path, change: object, says: str
) -> None:
    hostile = _repacked(archive, change(_members(archive)))  # type: ignore[operator]
    staging = tmp_path / "out"
    staging.mkdir()
    with pytest.raises(ArchiveError, match=says):
        read_archive(hostile, staging)
    assert not (tmp_path.parent / "etc").exists()


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_truncated_archive_is_refused(archive: Path, tmp_path: Path, keep: float) -> None:
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: int(archive.stat().st_size * keep)])
    staging = tmp_path / "out"
    staging.mkdir()
    with pytest.raises(ArchiveError, match="truncated"):
        read_archive(truncated, staging)


def test_something_else_than_an_archive_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "notes.tar.gz"
    other.write_text("not even gzip")
    with pytest.raises(ArchiveError, match="truncated or damaged"):
        read_archive(other, tmp_path)


@pytest.mark.parametrize(
    ("archived", "running", "says"),
    [
        ({"format": 2}, "0.1.0", "backup format 2"),
        ({"shield_version": "1.0.0"}, "0.1.0", "written by Shield 1.0.0"),
        ({"shield_version": "0.2.0"}, "0.1.0", "written by Shield 0.2.0"),
        ({"shield_version": "0.1.0"}, "1.0.0", "restores archives of 1.x"),
        ({"shield_version": "latest"}, "0.1.0", "names no Shield version"),
    ],
)
def test_archives_of_another_format_or_version_are_refused(
    archived: dict[str, object], running: str, says: str
) -> None:
    with pytest.raises(ArchiveError, match=says):
        check_version(_manifest(**archived), running)


def test_archives_of_older_versions_of_the_same_major_are_taken() -> None:
    check_version(_manifest(shield_version="0.1.0"), "0.3.2")
    check_version(_manifest(shield_version="1.2.0+local"), "1.2.0")


def test_a_graph_state_keeps_to_its_folder(tmp_path: Path) -> None:
    tar = tmp_path / "state.tar"
    with tarfile.open(tar, "w") as out:
        member = tarfile.TarInfo("../outside.json")
        member.size = 2
        out.addfile(member, io.BytesIO(b"{}"))
    (tmp_path / "graph").mkdir()
    with pytest.raises(ArchiveError, match="outside it"):
        untar_plain(tar, tmp_path / "graph")
    assert not (tmp_path / "outside.json").exists()


# -- Redis -------------------------------------------------------------------------------------


def test_redis_records_round_trip_without_uploads_or_heartbeats(
    redis_client: Redis, tmp_path: Path
) -> None:
    redis_client.set("shield:job:j1", '{"status": "succeeded"}', ex=3600)
    redis_client.xadd("shield:job:j1:events", {"state": "queued"})
    redis_client.zadd("shield:jobs", {"j1": 1.0})
    redis_client.hset("shield:graph:entries", "ops/d1", '{"state": "pending"}')
    redis_client.set("shield:job:j1:upload", b"\x00" * 1024)
    redis_client.set("shield:job:j1:heartbeat", "1")
    redis_client.set("rq:job:j1", "not ours")
    dump = tmp_path / "keys.jsonl"
    assert export_keys(redis_client, dump) == 4

    redis_client.flushall()
    written = import_keys(redis_client, check_absent(redis_client, dump))
    assert sorted(written) == [
        "shield:graph:entries",
        "shield:job:j1",
        "shield:job:j1:events",
        "shield:jobs",
    ]
    assert redis_client.get("shield:job:j1") == b'{"status": "succeeded"}'
    assert 0 < redis_client.ttl("shield:job:j1") <= 3600  # the time to live goes with it
    assert redis_client.ttl("shield:jobs") == -1
    assert redis_client.xlen("shield:job:j1:events") == 1
    assert not redis_client.exists("shield:job:j1:upload", "rq:job:j1")

    with pytest.raises(ArchiveError, match="exist already"):
        check_absent(redis_client, dump)
    forget_keys(redis_client, written)
    assert redis_client.keys("shield:*") == []


def test_a_refused_record_leaves_none_of_the_others(redis_client: Redis, tmp_path: Path) -> None:
    redis_client.set("shield:job:a", "1")
    dump = tmp_path / "keys.jsonl"
    export_keys(redis_client, dump)
    rows = json.loads(dump.read_text())
    bad = {"key": "shield:job:b", "ttl_ms": 0, "dump": "AAAA"}  # no DUMP payload
    dump.write_text(json.dumps(rows) + "\n" + json.dumps(bad) + "\n")
    redis_client.flushall()
    with pytest.raises(ArchiveError, match="refused the archive's record of shield:job:b"):
        import_keys(redis_client, check_absent(redis_client, dump))
    assert redis_client.keys("*") == []


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('{"key": "rq:queue", "ttl_ms": 0, "dump": "AAAA"}', "not one of Shield's keys"),
        ('{"key": "shield:x", "ttl_ms": 0, "dump": "@@@"}', "line 1 is no Redis record"),
        ("not json", "line 1 is no Redis record"),
    ],
)
def test_records_that_are_not_shields_are_refused(
    redis_client: Redis, tmp_path: Path, line: str, says: str
) -> None:
    dump = tmp_path / "keys.jsonl"
    dump.write_text(line + "\n")
    with pytest.raises(ArchiveError, match=says):
        check_absent(redis_client, dump)


# -- the embedded vector store -------------------------------------------------------------------


def _points(n: int) -> list[PointRecord]:
    rng = np.random.default_rng(3)
    return [
        PointRecord(
            str(uuid.uuid4()),
            rng.standard_normal(8).tolist(),
            {"document_id": f"d{i}", "chunk_index": 0, "text": f"passage {i} about gaskets"},
        )
        for i in range(n)
    ]


def test_a_collection_is_taken_and_restored_into_another_store(tmp_path: Path) -> None:
    source = EdgeVectorStore(tmp_path / "a")
    source.create_collection("ops", "model", 8)
    points = _points(30)
    source.upsert("ops", points)
    query = StoreQuery(SearchMode.HYBRID, vector=points[0].vector, text="gaskets", limit=5)
    before = [(hit.id, round(hit.score, 5)) for hit in source.search("ops", query)]
    assert source.snapshot_collection("ops", tmp_path / "taken") == 30
    source.close()

    target = EdgeVectorStore(tmp_path / "b")
    assert target.restore_collection("ops", tmp_path / "taken") == 30
    assert [(hit.id, round(hit.score, 5)) for hit in target.search("ops", query)] == before
    info = target.get_collection("ops")
    assert info is not None
    assert (info.embedding_model, info.dimension, info.points) == ("model", 8, 30)
    with pytest.raises(StoreError, match="exists already"):
        target.restore_collection("ops", tmp_path / "taken")
    target.close()


def test_a_damaged_collection_is_not_restored_at_all(tmp_path: Path) -> None:
    source = EdgeVectorStore(tmp_path / "a")
    source.create_collection("ops", "model", 8)
    source.upsert("ops", _points(5))
    source.snapshot_collection("ops", tmp_path / "taken")
    source.close()
    for path in (tmp_path / "taken" / "shard").rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x00garbage")
    target = EdgeVectorStore(tmp_path / "b")
    with pytest.raises(StoreError, match="cannot restore collection 'ops'"):
        target.restore_collection("ops", tmp_path / "taken")
    assert target.list_collections() == []
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [".lock"]
    target.close()


def test_a_qdrant_server_is_left_to_its_own_snapshots(tmp_path: Path) -> None:
    server = QdrantServerStore(QdrantClient(path=str(tmp_path / "qdrant-local")))
    server.create_collection("ops", "model", 8)
    for attempt in (
        server.check_in_backups,
        lambda: server.snapshot_collection("ops", tmp_path / "taken"),
        lambda: server.restore_collection("ops", tmp_path / "taken"),
    ):
        with pytest.raises(NotInBackups, match="back it up with its own snapshots") as refused:
            attempt()
        assert refused.value.status_code == 501


def test_what_a_killed_backup_left_a_day_ago_is_cleared(tmp_path: Path) -> None:
    services = cast(Services, SimpleNamespace(settings=SimpleNamespace(data_dir=tmp_path)))
    old, recent = (tmp_path / "backups" / name for name in (".work-old", ".work-recent"))
    for folder in (old, recent):
        (folder / "staging").mkdir(parents=True)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    made = scratch_folder(services)
    assert made.parent == tmp_path / "backups"
    assert not old.exists()
    assert recent.exists()  # perhaps a backup running now
