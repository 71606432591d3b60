"""Sources kept in sync, end to end through shield-api, a worker and RQ's scheduler: a local site
that edits, removes and adds pages between syncs (counting its conditional requests), its
sitemap, a folder of the inbox, Git repositories (in the inbox, and over Git's smart HTTP with
credentials); the guard with the site down and with most of it gone; a schedule
that runs by itself; one sync at a time; scopes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from mcp import ClientSession
from redis import Redis

from shield.cli import main
from support.gitrepos import GitServer, WorkingTree
from support.mcp import MCP_TOKEN, McpProcess, structured, with_session
from support.processes import wait_for
from support.services import TOKEN, ApiServer, WorkerProcess, wait_job
from support.sites import EditableSite

pytestmark = pytest.mark.slow
PAGES = ["/", "/lamp", "/horn", "/log", "/lens", "/fuel"]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inbox")


@pytest.fixture(scope="module")
def api(start_api: Callable[..., ApiServer], inbox: Path) -> ApiServer:
    return start_api(inbox_dir=inbox)


@pytest.fixture(scope="module")
def git_credentials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workers' git-credentials file (written by the test that needs it)."""
    return tmp_path_factory.mktemp("secrets") / "git-credentials"


@pytest.fixture(scope="module")
def worker(
    api: ApiServer,
    start_worker: Callable[..., WorkerProcess],
    inbox: Path,
    git_credentials: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> WorkerProcess:
    return start_worker(
        api,
        SHIELD_CRAWL_ALLOWLIST="127.0.0.1",
        SHIELD_INBOX_DIR=str(inbox),
        SHIELD_DATA_DIR=str(tmp_path_factory.mktemp("worker-data")),
        SHIELD_GIT_CREDENTIALS_PATH=str(git_credentials),
    )


@pytest.fixture
def client(api: ApiServer, worker: WorkerProcess) -> Iterator[httpx.Client]:
    with api.client() as http:
        yield http


def _site() -> EditableSite:
    site = EditableSite()
    topics = PAGES[1:]
    site.put("/", "Keeper's handbook", "Everything a lighthouse keeper needs.", topics)
    for path in topics:
        name = path.strip("/")
        site.put(path, f"The {name}", f"How the keeper looks after the {name} every night.", ["/"])
    return site


@pytest.fixture
def site() -> Iterator[EditableSite]:
    served = _site()
    yield served
    served.stop()


def _sync(client: httpx.Client, source_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/sources/{source_id}/sync", json=body or None)
    assert response.status_code == 202, response.text
    return wait_job(client, response.json()["job_id"], timeout=180)


def _counts(client: httpx.Client, source_id: str) -> dict[str, Any]:
    last = client.get(f"/sources/{source_id}").json()["last_sync"]
    return {k: last[k] for k in ("status", "added", "changed", "unchanged", "removed", "failed")}


def _sources_documents(client: httpx.Client, collection: str, source_id: str) -> set[str]:
    found = client.post(
        "/search",
        json={"query": "keeper", "collection": collection, "limit": 50,
              "filter": {"source_id": source_id}},
    )  # fmt: skip
    assert found.status_code == 200, found.text
    return {hit["source"] for hit in found.json()["results"]}


def _create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post("/sources", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_web_source_reads_only_what_changed_and_removes_what_is_gone(
    client: httpx.Client, site: EditableSite
) -> None:
    client.post("/collections", json={"name": "handbook"})
    source = _create(client, kind="web", url=f"{site.url}/", collection="handbook", max_depth=2)
    sid = source["source_id"]

    first = _sync(client, sid)
    assert first["status"] == "succeeded", first
    assert _counts(client, sid) == {
        "status": "succeeded", "added": 6, "changed": 0, "unchanged": 0, "removed": 0, "failed": 0
    }  # fmt: skip
    assert _sources_documents(client, "handbook", sid) == {f"{site.url}{p}" for p in PAGES}

    # Nothing changed: every page answers 304, nothing is embedded.
    asked = site.conditional
    again = _sync(client, sid)
    assert again["progress"]["chunks_embedded"] == 0
    assert _counts(client, sid)["unchanged"] == 6
    assert site.conditional - asked == 6
    assert site.not_modified >= 6

    # One page edited, one removed (and unlinked), one added.
    site.put("/lamp", "The lamp", "The keeper trims the wick and fills the lamp with paraffin.")
    site.remove("/horn")
    site.put("/", "Keeper's handbook", "Everything a keeper needs.", ["/lamp", "/log", "/lens",
             "/fuel", "/tides"])  # fmt: skip
    site.put("/tides", "The tides", "How the keeper reads the tide table every morning.", ["/"])
    third = _sync(client, sid)
    assert third["status"] == "succeeded", third
    assert _counts(client, sid) == {
        "status": "succeeded", "added": 1, "changed": 2, "unchanged": 3, "removed": 1, "failed": 0
    }  # fmt: skip
    kept = _sources_documents(client, "handbook", sid)
    assert f"{site.url}/horn" not in kept
    assert f"{site.url}/tides" in kept
    listed = client.get(f"/sources/{sid}").json()
    assert listed["documents"] == 6
    assert listed["syncing"] is None


def test_the_guard_removes_nothing_when_the_site_is_down_or_mostly_gone(
    client: httpx.Client, site: EditableSite
) -> None:
    source = _create(client, kind="web", url=f"{site.url}/", collection="shield")
    sid = source["source_id"]
    assert _sync(client, sid)["status"] == "succeeded"

    site.down = True
    down = _sync(client, sid)
    assert down["status"] == "failed"
    assert down["error"]["code"] == "source_unreachable"
    assert len(_sources_documents(client, "shield", sid)) == 6
    site.down = False

    for path in PAGES[1:5]:
        site.remove(path)
    site.put("/", "Keeper's handbook", "Everything a keeper needs.", ["/fuel"])
    guarded = _sync(client, sid)
    assert guarded["status"] == "failed"
    assert guarded["error"]["code"] == "sync_guarded"
    assert "would remove 4 of the source's 6 documents" in guarded["error"]["message"]
    assert len(_sources_documents(client, "shield", sid)) == 6

    forced = _sync(client, sid, force=True)
    assert forced["status"] == "succeeded"
    assert _counts(client, sid)["removed"] == 4
    assert _sources_documents(client, "shield", sid) == {f"{site.url}/", f"{site.url}/fuel"}


def test_a_sitemap_source_fetches_only_pages_whose_lastmod_moved(
    client: httpx.Client, site: EditableSite
) -> None:
    source = _create(client, kind="sitemap", url=f"{site.url}/sitemap.xml", collection="shield")
    sid = source["source_id"]
    assert _sync(client, sid)["status"] == "succeeded"
    assert _counts(client, sid)["added"] == 6

    before = sum(n for path, n in site.requests.items() if path != "/sitemap.xml")
    assert _sync(client, sid)["status"] == "succeeded"
    assert _counts(client, sid)["unchanged"] == 6
    assert sum(n for path, n in site.requests.items() if path != "/sitemap.xml") == before

    site.put("/log", "The log", "The keeper writes the weather in the log at every watch.")
    site.remove("/lens")
    assert _sync(client, sid)["status"] == "succeeded"
    assert _counts(client, sid) == {
        "status": "succeeded", "added": 0, "changed": 1, "unchanged": 4, "removed": 1, "failed": 0
    }  # fmt: skip


def test_a_folder_source_follows_its_files(client: httpx.Client, inbox: Path) -> None:
    folder = inbox / "runbooks"
    (folder / "drafts").mkdir(parents=True)
    for name in ("boiler", "pump", "valve"):
        (folder / f"{name}.md").write_text(f"# The {name}\n\nThe keeper checks the {name}.\n")
    (folder / "drafts" / "idea.md").write_text("# An idea\n\nNot ready.\n")
    (folder / "notes.txt").write_text("The keeper's notes.\n")
    source = _create(
        client, kind="folder", path="runbooks", include=["**/*.md"], exclude=["drafts/**"]
    )
    sid = source["source_id"]
    assert _sync(client, sid)["status"] == "succeeded"
    assert _counts(client, sid)["added"] == 3

    # Touched but the same: not stored again.
    os.utime(folder / "pump.md")
    second = _sync(client, sid)
    assert second["progress"]["chunks_embedded"] == 0
    assert _counts(client, sid)["unchanged"] == 3

    (folder / "boiler.md").write_text("# The boiler\n\nThe keeper bleeds the boiler weekly.\n")
    (folder / "valve.md").unlink()
    (folder / "gauge.md").write_text("# The gauge\n\nThe keeper reads the gauge.\n")
    assert _sync(client, sid)["status"] == "succeeded"
    assert _counts(client, sid) == {
        "status": "succeeded", "added": 1, "changed": 1, "unchanged": 1, "removed": 1, "failed": 0
    }  # fmt: skip
    assert _sources_documents(client, "shield", sid) == {
        "runbooks/boiler.md", "runbooks/pump.md", "runbooks/gauge.md"
    }  # fmt: skip

    removed = client.delete(f"/sources/{sid}", params={"documents": "delete"})
    assert removed.json() == {"deleted": sid, "documents_deleted": 3}
    assert _sources_documents(client, "shield", sid) == set()


def test_a_git_source_follows_its_commits(client: httpx.Client, inbox: Path) -> None:
    tree = WorkingTree(inbox / "handbook")
    for name in ("lamp", "horn", "fuel", "lens", "log"):
        tree.write(f"{name}.md", f"# The {name}\n\nThe keeper looks after the {name}.\n")
    tree.write("tools/build.py", "print('not a document')\n")
    first = tree.commit("The keeper's handbook")
    source = _create(client, kind="git", path="handbook", include=["**/*.md"], every="1d")
    sid = source["source_id"]
    assert _sync(client, sid)["status"] == "succeeded"
    synced = client.get(f"/sources/{sid}").json()
    assert synced["last_sync"]["commit"] == first
    assert (synced["last_sync"]["added"], synced["documents"]) == (5, 5)

    # No new commit: nothing read, nothing embedded.
    again = _sync(client, sid)
    assert again["progress"]["chunks_embedded"] == 0
    assert _counts(client, sid)["unchanged"] == 5

    tree.write("lamp.md", "# The lamp\n\nThe keeper trims the lamp's wick at dusk.\n")
    tree.rename("horn.md", "signals/horn.md")
    tree.delete("fuel.md")
    tree.write("bell.md", "# The bell\n\nThe keeper rings the bell in fog.\n")
    second = tree.commit("Reorganised")
    changed = _sync(client, sid)
    assert changed["status"] == "succeeded"
    assert _counts(client, sid) == {
        "status": "succeeded", "added": 2, "changed": 1, "unchanged": 2, "removed": 2, "failed": 0
    }  # fmt: skip
    assert client.get(f"/sources/{sid}").json()["last_sync"]["commit"] == second
    assert _sources_documents(client, "shield", sid) == {
        f"handbook/{name}.md" for name in ("lamp", "lens", "log", "signals/horn", "bell")
    }
    # Only the changed file and the two new ones were embedded again.
    stored = {d["source"] for d in changed["result"]["documents"] if d["status"] == "stored"}
    assert stored == {"handbook/lamp.md", "handbook/signals/horn.md", "handbook/bell.md"}

    # A branch the repository lacks: the sync fails with the reason, and removes nothing.
    client.patch(f"/sources/{sid}", json={"branch": "nope"})
    failed = _sync(client, sid)
    assert failed["status"] == "failed"
    assert "no such branch" in failed["error"]["message"]
    assert client.get(f"/sources/{sid}").json()["documents"] == 5


def test_a_git_source_over_http_reads_its_credentials_from_the_secret_file(
    client: httpx.Client, api: ApiServer, worker: WorkerProcess, git_credentials: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    tree = WorkingTree(tmp_path / "work")
    tree.write("docs/tide.md", "# Tides\n\nThe keeper logs the tide twice a day.\n")
    tree.write("docs/storm.md", "# Storms\n\nThe keeper lights the storm lamp.\n")
    tree.commit("Tides and storms")
    (tmp_path / "served").mkdir()
    password = "s3cret-" + os.urandom(6).hex()
    server = GitServer(tmp_path / "served", credentials=f"keeper:{password}")
    try:
        url = server.publish(tree, "coast")
        sid = _create(client, kind="git", url=url, collection="shield")["source_id"]

        # No credentials for this host yet: the sync says where they go.
        refused = _sync(client, sid)
        assert refused["status"] == "failed"
        assert "SHIELD_GIT_CREDENTIALS_PATH" in refused["error"]["message"]
        assert server.refused >= 1

        # A wrong password fails too, and git leaves the operator's file as it was.
        host = url.split("/")[2]
        wrong = f"http://keeper:not-{password}@{host}\n"
        git_credentials.write_text(wrong)
        assert _sync(client, sid)["status"] == "failed"
        assert git_credentials.read_text() == wrong

        git_credentials.write_text(f"http://keeper:{password}@{host}\n")
        assert _sync(client, sid)["status"] == "succeeded"
        assert _sources_documents(client, "shield", sid) == {
            f"{url}/docs/tide.md", f"{url}/docs/storm.md"
        }  # fmt: skip
        # The password stays in the secret file: not in the source, its jobs or the log.
        jobs = client.get("/jobs", params={"kind": "sync", "limit": 50}).text
        assert password not in client.get(f"/sources/{sid}").text + jobs
        assert password not in worker.log()
    finally:
        git_credentials.write_text("")
        server.stop()


def test_a_schedule_runs_by_itself_on_rqs_scheduler(
    client: httpx.Client, api: ApiServer, site: EditableSite
) -> None:
    source = _create(client, kind="web", url=f"{site.url}/", every="1m")
    sid = source["source_id"]
    assert source["next_sync_at"] is not None
    redis = Redis.from_url(api.settings.redis_url)
    for run in (1, 2):
        # A minute passes for RQ's scheduler: its waiting job comes due now.
        waiting = redis.get(f"shield:source:{sid}:schedule")
        assert waiting is not None
        redis.zadd("rq:scheduled:shield-ingest", {waiting: int(time.time()) - 1})
        wait_for(
            lambda run=run: _synced(client, sid, run), timeout=120, what=f"scheduled sync {run}"
        )
    assert client.get(f"/sources/{sid}").json()["next_sync_at"] is not None
    stopped = client.patch(f"/sources/{sid}", json={"every": None}).json()
    assert stopped["next_sync_at"] is None
    waiting = [m.decode() for m in redis.zrange("rq:scheduled:shield-ingest", 0, -1)]
    assert not [job for job in waiting if job.startswith(f"shield-source-{sid}-")], waiting


def _synced(client: httpx.Client, sid: str, runs: int) -> bool:
    jobs = client.get("/jobs", params={"kind": "sync", "limit": 50}).json()["jobs"]
    mine = [j for j in jobs if j["request"].get("source_id") == sid and j["request"]["scheduled"]]
    return len(mine) >= runs and all(j["status"] == "succeeded" for j in mine)


def test_one_sync_of_a_source_at_a_time(client: httpx.Client, site: EditableSite) -> None:
    sid = _create(client, kind="web", url=f"{site.url}/")["source_id"]
    first = client.post(f"/sources/{sid}/sync")
    second = client.post(f"/sources/{sid}/sync")
    assert first.status_code == 202
    assert second.status_code == 409
    assert first.json()["job_id"] in second.json()["error"]["message"]
    wait_job(client, first.json()["job_id"], timeout=180)
    assert client.post(f"/sources/{sid}/sync").status_code == 202


def test_a_source_belongs_to_its_collection(
    client: httpx.Client, api: ApiServer, site: EditableSite
) -> None:
    client.post("/collections", json={"name": "private"})
    sid = _create(client, kind="web", url=f"{site.url}/", collection="private")["source_id"]
    tokens = {
        name: client.post("/tokens", json={"name": name, "scopes": scopes}).json()["token"]
        for name, scopes in (("reader", ["read:private"]), ("other", ["write:shield"]))
    }
    with api.client(tokens["reader"]) as reader:
        assert reader.get(f"/sources/{sid}").status_code == 200
        assert [s["source_id"] for s in reader.get("/sources").json()["sources"]] == [sid]
        assert reader.post(f"/sources/{sid}/sync").status_code == 403
        assert reader.patch(f"/sources/{sid}", json={"every": "1h"}).status_code == 403
        assert reader.delete(f"/sources/{sid}").status_code == 403
        made = reader.post(
            "/sources", json={"kind": "web", "url": site.url, "collection": "private"}
        )
        assert made.status_code == 403
    with api.client(tokens["other"]) as other:
        assert other.get(f"/sources/{sid}").status_code == 403
        assert sid not in {s["source_id"] for s in other.get("/sources").json()["sources"]}


def test_bad_sources_are_refused_with_a_reason(client: httpx.Client) -> None:
    cases = {
        "every must be at least 1m": {"kind": "web", "url": "https://a.example/", "every": "30s"},
        "a folder source has a path": {"kind": "folder", "url": "https://a.example/"},
        "max_depth is not an option of a folder source": {
            "kind": "folder", "path": "runbooks", "max_depth": 2
        },
        "relative to the inbox": {"kind": "folder", "path": "/etc"},
        "is not in the inbox": {"kind": "folder", "path": "nowhere"},
        "does not exist": {"kind": "web", "url": "https://a.example/", "collection": "typo"},
        "either a url or a path": {"kind": "git"},
        "carries credentials": {"kind": "git", "url": "https://ana:token@git.example/r.git"},
    }  # fmt: skip
    for words, body in cases.items():
        response = client.post("/sources", json=body)
        assert response.status_code in (400, 404, 422), (body, response.text)
        assert words in response.text, (words, response.text)


def test_an_assistant_lists_and_syncs_sources_over_mcp(
    client: httpx.Client, api: ApiServer, site: EditableSite, tmp_path: Path
) -> None:
    sid = _create(client, kind="web", url=f"{site.url}/", name="Keeper's handbook")["source_id"]
    server = McpProcess(api, tmp_path / "mcp.log")

    async def body(session: ClientSession) -> tuple[Any, Any, Any]:
        synced = await session.call_tool("sync_source", {"source_id": sid, "wait": True})
        listed = await session.call_tool("list_sources", {})
        wrong = await session.call_tool("sync_source", {"source_id": "../tokens"})
        return synced, listed, wrong

    try:
        synced, listed, wrong = with_session(server.url, MCP_TOKEN, body, timeout=180)
    finally:
        server.stop()
    job = structured(synced)["job"]
    assert job["kind"] == "sync"
    assert job["status"] == "succeeded"
    mine = next(s for s in structured(listed)["sources"] if s["source_id"] == sid)
    assert mine["last_sync"]["added"] == 6
    assert mine["name"] == "Keeper's handbook"
    assert wrong.is_error
    assert "source_id is the id list_sources gave" in wrong.content[0].text


def _shield(api: ApiServer, *args: str) -> Result:
    env: dict[str, str | None] = {"SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": TOKEN}
    return CliRunner().invoke(main, list(args), env=env)


def test_an_operator_keeps_a_site_in_sync_from_the_command_line(
    api: ApiServer, worker: WorkerProcess, site: EditableSite
) -> None:
    added = _shield(api, "sources", "add", "web", f"{site.url}/", "--every", "6h", "--wait")
    assert added.exit_code == 0, added.output
    assert "succeeded" in added.output
    assert "6 added, 0 changed, 0 unchanged, 0 removed, 0 failed" in added.output
    listed = json.loads(_shield(api, "sources", "list", "--json").output)
    sid = next(s["source_id"] for s in listed["sources"] if s["url"] == f"{site.url}/")

    again = _shield(api, "sources", "sync", sid, "--wait")
    assert again.exit_code == 0, again.output
    assert "0 added, 0 changed, 6 unchanged" in again.output
    shown = _shield(api, "sources", "show", sid)
    assert "every" in shown.output
    assert "6h" in shown.output
    assert "next sync" in shown.output

    site.down = True
    down = _shield(api, "sources", "sync", sid, "--wait")
    assert down.exit_code == 1
    assert "nothing was removed" in down.output

    bad = _shield(api, "sources", "add", "web", "ftp://example.org/")
    assert bad.exit_code == 1
    assert "url" in bad.output
    removed = _shield(api, "sources", "remove", sid)
    assert removed.exit_code == 0
    assert "removed source" in removed.output
