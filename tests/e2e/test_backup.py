"""Backup and restore through `shield backup` and `shield restore`: a platform with collections,
job records and a knowledge graph is backed up, a second, empty platform is restored from the
archive, and the same searches, documents, jobs, graph answers and named tokens come back (a
token the new platform's deploy set already is kept). Hostile archives
(truncated, altered, with a path out of it, from another version) are refused with nothing
changed."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from redis import Redis

from shield.cli import main
from support.services import TOKEN, ApiServer, GraphProcess, wait_graph, wait_job

pytestmark = pytest.mark.slow

NOTES = [
    {"source": "boiler.md", "text": "# Boiler\n\nDana Reyes services the boiler every March."},
    {"source": "quay.md", "text": "# Quay\n\nLong boats moor at the north quay of Harbourtown."},
    {"source": "fees.md", "text": "# Fees\n\nMooring fees are paid at the harbour office."},
]
QUERIES = ("who services the boiler", "where do long boats moor", "mooring fees")


def _graph(tmp_path_factory: pytest.TempPathFactory, name: str) -> GraphProcess:
    return GraphProcess(tmp_path_factory.mktemp(name), tmp_path_factory.mktemp(name) / "g.log")


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[GraphProcess]]:
    started = [_graph(tmp_path_factory, "graph-a"), _graph(tmp_path_factory, "graph-b")]
    yield started
    for graph in started:
        graph.stop()


def _start(start_api: Callable[..., ApiServer], graph: GraphProcess) -> ApiServer:
    return start_api(
        lightrag_url=graph.url,
        lightrag_token=graph.token,
        graph_idle_seconds=0.2,
        graph_retry_seconds=1,
    )


def _shield(api: ApiServer, *args: str) -> Result:
    env = {"SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": TOKEN}
    return CliRunner().invoke(main, list(args), env=env)


def _seen(client: httpx.Client) -> dict[str, Any]:
    """What a user sees of the platform: searches, documents with their graph state, the graph's
    answer to a question."""
    searches = {
        query: [
            (hit["source"], round(hit["score"], 4))
            for hit in client.post(
                "/search", json={"query": query, "collection": "harbour"}
            ).json()["results"]
        ]
        for query in QUERIES
    }
    documents = client.get("/documents", params={"collection": "harbour"}).json()["documents"]
    answer = client.post(
        "/lightrag/query",
        json={"query": "Dana Reyes boiler", "mode": "local", "collection": "harbour"},
    )
    assert answer.status_code == 200, answer.text
    sources = client.get("/sources", params={"collection": "harbour"}).json()["sources"]
    return {
        "searches": searches,
        "documents": sorted((d["source"], d["chunks"], d["graph"]) for d in documents),
        "answer": answer.json()["answer"],
        "sources": [(s["source_id"], s["url"], s["every"], s["next_sync_at"]) for s in sources],
    }


@pytest.fixture(scope="module")
def backed_up(
    start_api: Callable[..., ApiServer],
    graphs: list[GraphProcess],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Any], str, dict[str, str]]:
    """The first platform, filled and backed up: the archive, what it showed, a job's id, and
    its named tokens."""
    api = _start(start_api, graphs[0])
    with api.client() as client:
        tokens = {
            name: client.post("/tokens", json={"name": name, "scopes": scopes}).json()["token"]
            for name, scopes in (("harbour-reader", ["read:harbour"]), ("vault-bot", ["admin"]))
        }
        stored = client.post(
            "/store", json={"create_collection": True, "collection": "harbour", "texts": NOTES}
        )
        assert stored.status_code == 200, stored.text
        for document in client.get("/documents", params={"collection": "harbour"}).json()[
            "documents"
        ]:
            assert wait_graph(client, "harbour", document["document_id"])["graph"] == "stored"
        kept = {"kind": "web", "url": "https://docs.example.org/", "collection": "harbour"}
        assert client.post("/sources", json={**kept, "every": "1d"}).status_code == 201
        job_id = client.post("/collections/harbour/reindex").json()["job_id"]
        assert wait_job(client, job_id)["status"] == "succeeded"
        seen = _seen(client)
    assert all(seen["searches"].values())
    assert "Dana Reyes" in seen["answer"]
    archive = tmp_path_factory.mktemp("backups") / "platform.tar.gz"
    result = _shield(api, "backup", str(archive), "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    # The default collection exists from the start, empty here.
    assert manifest["collections"] == [
        {"name": "harbour", "points": 3},
        {"name": "shield", "points": 0},
    ]
    assert manifest["graph"] is True
    assert manifest["redis_keys"] > 0
    assert manifest["tokens"] == 2
    assert archive.stat().st_mode & 0o077 == 0  # it holds every document: the owner's alone

    again = _shield(api, "restore", str(archive))
    assert again.exit_code == 1  # into a platform that is not empty
    assert "a restore needs an empty platform" in again.output
    with api.client() as client:
        assert _seen(client) == seen
    return archive, seen, job_id, tokens


def _rewritten(archive: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of the archive with members changed (or left out: None), manifest untouched."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source:
            data = source.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            changed = change(member.name, data)
            if changed is None:
                continue
            member.size = len(changed)
            out.addfile(member, io.BytesIO(changed))
    return target


def _with_member(archive: Path, target: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for item in source:
            out.addfile(item, source.extractfile(item) if item.isfile() else None)
        out.addfile(member, io.BytesIO(data) if data else None)
    return target


def _hostile(archive: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    truncated = folder / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])

    def flip(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("redis/") else data

    def newer(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        return json.dumps({**manifest, "shield_version": "9.0.0"}).encode()

    def no_graph(name: str, data: bytes) -> bytes | None:
        return None if name.startswith("graph/") else data

    escape = tarfile.TarInfo("vectors/../../etc/cron.d/evil")
    escape.size = 4
    link = tarfile.TarInfo("vectors/harbour/shard/passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return {
        "truncated": (truncated, "truncated or damaged"),
        "altered": (_rewritten(archive, folder / "altered.tar.gz", flip), "checksum"),
        "missing": (_rewritten(archive, folder / "missing.tar.gz", no_graph), "lacks"),
        "newer": (_rewritten(archive, folder / "newer.tar.gz", newer), "Shield 9.0.0"),
        "escape": (_with_member(archive, folder / "escape.tar.gz", escape, b"boom"), "leads out"),
        "link": (_with_member(archive, folder / "link.tar.gz", link), "plain files only"),
    }


def test_a_restored_platform_answers_as_the_one_backed_up(
    backed_up: tuple[Path, dict[str, Any], str, dict[str, str]],
    start_api: Callable[..., ApiServer],
    graphs: list[GraphProcess],
    tmp_path: Path,
) -> None:
    archive, seen, job_id, tokens = backed_up
    api = _start(start_api, graphs[1])  # a new platform: empty store, Redis and graph
    deployed = "a-new-vault-secret-0123456789abcdef"  # its deploy set vault-bot afresh
    with api.client() as client:
        provisioned = client.put("/tokens/vault-bot", json={"token": deployed, "scopes": ["admin"]})
        assert provisioned.status_code == 200, provisioned.text
        # Its default collection is there from the start: a search answers, with nothing.
        fresh = client.post("/search", json={"query": "harbour"})
        assert fresh.status_code == 200, fresh.text
        assert fresh.json()["results"] == []

    for name, (hostile, says) in _hostile(archive, tmp_path).items():
        refused = _shield(api, "restore", str(hostile))
        assert refused.exit_code == 1, (name, refused.output)
        assert says in refused.output, (name, refused.output)
        with api.client() as client:
            left = [c["name"] for c in client.get("/collections").json()["collections"]]
            assert left == ["shield"], name  # the new platform's empty default, as it was
            assert client.get("/jobs").json()["jobs"] == [], name

    restored = _shield(api, "restore", str(archive), "--json")
    assert restored.exit_code == 0, restored.output
    answer = json.loads(restored.stdout)
    assert answer["collections"] == [
        {"name": "harbour", "points": 3},
        {"name": "shield", "points": 0},
    ]
    assert answer["tokens"] == {"added": ["harbour-reader"], "kept": ["vault-bot"]}

    def who(token: str) -> int | str:
        response = httpx.get(f"{api.url}/whoami", headers={"Authorization": f"Bearer {token}"})
        return response.json()["name"] if response.status_code == 200 else response.status_code

    assert who(tokens["harbour-reader"]) == "harbour-reader"
    assert who(deployed) == "vault-bot"
    # The source came back with its schedule, waiting on RQ's scheduler again.
    assert len(seen["sources"]) == 1
    assert Redis.from_url(api.settings.redis_url).zcard("rq:scheduled:shield-ingest") == 1
    assert who(tokens["vault-bot"]) == 401  # the archive's older secret did not come back
    with api.client() as client:
        assert _seen(client) == seen
        job = client.get(f"/jobs/{job_id}").json()
        assert (job["kind"], job["status"]) == ("reindex", "succeeded")
        # The restored platform goes on: a new document is searchable and reaches the graph.
        more = {"source": "ferry.md", "text": "# Ferry\n\nThe ferry to Gullholm leaves at noon."}
        document = client.post(
            "/store", json={"create_collection": True, "collection": "harbour", **more}
        ).json()
        assert wait_graph(client, "harbour", document["document_id"])["graph"] == "stored"
        hits = client.post("/search", json={"query": "ferry Gullholm", "collection": "harbour"})
        assert hits.json()["results"][0]["source"] == "ferry.md"
