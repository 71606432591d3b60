"""The client commands against a running shield-api and worker: `shield ingest` of a folder with
--wait (its progress read back), unchanged files skipped, URLs and a crawl, `shield search`,
`shield documents` and `shield collections`, and profiles in place of the environment."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from shield.cli import main
from support.services import TOKEN, ApiServer, WorkerProcess
from support.sites import Site, page

pytestmark = pytest.mark.slow

RUNBOOK = "# Disk full\n\nWhen the ledger host's disk fills, rotate the journal with logrotate.\n"
GUIDE = "# Boiler\n\nThe boiler in the east wing is serviced by Dana Reyes every March.\n"
README = "# Readme {}\n\nThe {} team keeps this folder.\n"


@pytest.fixture(scope="module")
def worker(loopback_worker: WorkerProcess) -> WorkerProcess:
    """`shield ingest URL` and `shield crawl` read the test site on 127.0.0.1."""
    return loopback_worker


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    served = Site()
    served.html("/", page("Harbour", "The harbour guide.", ["/moorings", "/fees"]))
    served.html("/moorings", page("Moorings", "Long boats moor at the north quay."))
    served.html("/fees", page("Fees", "Mooring fees are paid at the harbour office."))
    yield served
    served.stop()


def _shield(api: ApiServer, *args: str, env: dict[str, str | None] | None = None) -> Result:
    given: dict[str, str | None] = env or {"SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": TOKEN}
    return CliRunner().invoke(main, list(args), env=given)


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _folder(root: Path) -> Path:
    """docs/: two files of the same name in two folders, a guide, and what a folder ingest
    passes over (a hidden folder, a format Shield does not read)."""
    docs = root / "docs"
    for team in ("ops", "legal"):
        (docs / team).mkdir(parents=True)
        (docs / team / "readme.md").write_text(README.format(team, team))
    (docs / "ops" / "disk.md").write_text(RUNBOOK)
    (docs / "guide.txt").write_text(GUIDE)
    (docs / ".git").mkdir()
    (docs / ".git" / "config.md").write_text("# not a document\n")
    (docs / "logo.bin").write_bytes(b"\x00\x01")
    return docs


def _sources(api: ApiServer, collection: str) -> set[str]:
    listed = _json(_shield(api, "documents", "list", "--collection", collection, "--json"))
    return {doc["source"] for doc in listed["documents"]}


def test_a_folder_is_ingested_with_progress_and_unchanged_files_are_skipped(
    api: ApiServer,
    worker: WorkerProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    docs = _folder(tmp_path)
    collection = f"cli-{uuid.uuid4().hex[:8]}"
    expected = {"docs/ops/readme.md", "docs/legal/readme.md", "docs/ops/disk.md", "docs/guide.txt"}

    first = _shield(api, "ingest", "docs", "--collection", collection, "--create-collection",
                    "--wait")  # fmt: skip
    assert first.exit_code == 0, (first.output, worker.log()[-3000:])
    # A line per job as it ends, numbered against the whole: the progress, read back.
    finished = [line for line in first.stderr.splitlines() if line.startswith("[")]
    assert len(finished) == 4
    assert finished[-1].startswith("[4/4] ")
    assert all(line.endswith(": succeeded") for line in finished)
    assert "4 jobs queued, 0 unchanged skipped, 0 refused" in first.stderr
    for source in expected:
        assert source in first.stdout  # the summary table, a row per document
    assert _sources(api, collection) == expected

    (docs / "ops" / "disk.md").write_text(RUNBOOK + "\nThen check the inode count.\n")
    again = _json(_shield(api, "ingest", "docs", "--collection", collection, "--wait", "--json"))
    assert [job["result"]["documents"][0]["source"] for job in again["jobs"]] == [
        "docs/ops/disk.md"
    ]
    assert again["jobs"][0]["result"]["documents"][0]["status"] == "stored"
    assert sorted(again["skipped"]) == sorted(expected - {"docs/ops/disk.md"})

    only = _shield(
        api, "ingest", "docs", "--collection", f"{collection}-x", "--include", "*.md",
        "--exclude", "legal/*", "--create-collection", "--json",
    )  # fmt: skip
    queued = _json(only)["jobs"]
    assert sorted(job["source"] for job in queued) == ["docs/ops/disk.md", "docs/ops/readme.md"]


def test_the_found_passages_and_documents_are_listed_shown_and_deleted(
    api: ApiServer, worker: WorkerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path)
    collection = f"cli-{uuid.uuid4().hex[:8]}"
    made = _shield(api, "ingest", "docs", "--collection", collection, "--create-collection",
                   "--wait")  # fmt: skip
    assert made.exit_code == 0, made.output

    found = _json(_shield(api, "search", "who services the boiler", "--collection", collection,
                          "--limit", "3", "--json"))  # fmt: skip
    assert found["results"][0]["source"] == "docs/guide.txt"
    filtered = _shield(api, "search", "team folder", "--collection", collection,
                       "--filter", "source=docs/legal/readme.md", "--json")  # fmt: skip
    assert {hit["source"] for hit in _json(filtered)["results"]} == {"docs/legal/readme.md"}
    shown = _shield(api, "search", "rotate the journal", "--collection", collection)
    assert shown.exit_code == 0, shown.output
    assert "docs/ops/disk.md" in shown.stdout
    assert "logrotate" in shown.stdout
    bad = _shield(api, "search", "x", "--filter", "no-equals-sign")
    assert bad.exit_code == 2
    assert "is not key=value" in bad.output

    listed = _json(_shield(api, "documents", "--collection", collection, "--json"))
    guide = next(doc for doc in listed["documents"] if doc["source"] == "docs/guide.txt")
    show = _shield(api, "documents", "show", guide["document_id"], "--collection", collection)
    assert show.exit_code == 0, show.output
    assert "docs/guide.txt" in show.stdout
    assert guide["content_hash"] in show.stdout

    unasked = _shield(api, "documents", "delete", guide["document_id"], "--collection", collection)
    assert unasked.exit_code == 2  # nobody at a terminal to say yes
    assert "add --yes" in unasked.output
    deleted = _shield(api, "documents", "delete", guide["document_id"], "--collection",
                      collection, "--yes")  # fmt: skip
    assert deleted.exit_code == 0, deleted.output
    assert "docs/guide.txt" not in _sources(api, collection)
    missing = _shield(api, "documents", "show", guide["document_id"], "--collection", collection)
    assert missing.exit_code == 1
    assert "404" in missing.output


def test_collections_are_created_listed_and_deleted_only_when_confirmed(api: ApiServer) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    created = _json(_shield(api, "collections", "create", name, "--fusion", "rrf", "--json"))
    assert (created["name"], created["fusion"]) == (name, "rrf")
    again = _shield(api, "collections", "create", name)
    assert again.exit_code == 1
    assert "exists already" in again.output
    listed = _shield(api, "collections")
    assert listed.exit_code == 0
    assert name in listed.stdout

    unasked = _shield(api, "collections", "delete", name)
    assert unasked.exit_code == 2
    still = _json(_shield(api, "collections", "list", "--json"))["collections"]
    assert name in {c["name"] for c in still}
    gone = _json(_shield(api, "collections", "delete", name, "--yes", "--json"))
    assert gone == {"deleted": name, "documents": 0, "graph": "no graph"}
    assert _shield(api, "collections", "delete", name, "--yes").exit_code == 1


def test_urls_and_a_crawl_are_ingested_and_followed(
    api: ApiServer, worker: WorkerProcess, site: Site
) -> None:
    collection = f"cli-{uuid.uuid4().hex[:8]}"
    crawled = _shield(api, "crawl", f"{site.url}/", "--collection", collection, "--max-pages",
                      "5", "--max-depth", "1", "--create-collection", "--wait")  # fmt: skip
    assert crawled.exit_code == 0, (crawled.output, worker.log()[-3000:])
    assert f"{site.url}/: succeeded, 3 pages read" in crawled.stderr
    assert f"{site.url}/moorings" in crawled.stdout
    assert _sources(api, collection) == {f"{site.url}/", f"{site.url}/moorings", f"{site.url}/fees"}

    site.html("/notice", page("Notice", "The quay is closed on Sundays."))
    fetched = _json(_shield(api, "ingest", f"{site.url}/notice", "--collection", collection,
                            "--metadata", '{"kind": "notice"}', "--wait", "--json"))  # fmt: skip
    assert fetched["jobs"][0]["status"] == "succeeded"
    hits = _json(_shield(api, "search", "closed on Sundays", "--collection", collection,
                         "--filter", "metadata.kind=notice", "--json"))  # fmt: skip
    assert hits["results"][0]["source"] == f"{site.url}/notice"


def test_what_cannot_be_sent_is_said_and_the_rest_goes(
    api: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    collection = f"cli-{uuid.uuid4().hex[:8]}"
    missing = _shield(api, "ingest", "nowhere.md", "--collection", collection)
    assert missing.exit_code == 2
    assert "nowhere.md: no such file or folder" in missing.output
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "photo.bin").write_bytes(b"\x00")
    empty = _shield(api, "ingest", "empty", "--collection", collection)
    assert empty.exit_code == 2
    assert "no file to ingest in this folder" in empty.output

    (tmp_path / "program.exe").write_bytes(b"MZ\x90\x00" + bytes(64))
    (tmp_path / "note.md").write_text("# Note\n\nA note.\n")
    meant = f"{collection}-meant"
    assert _shield(api, "collections", "create", meant).exit_code == 0
    typo = _shield(api, "ingest", "note.md", "--collection", collection)
    assert typo.exit_code == 1  # a collection that does not exist: nothing is sent
    assert f"collection '{collection}' does not exist" in typo.output
    assert "the collections you may write to: " in typo.output
    assert meant in typo.output  # the one the caller may have meant
    assert "--create-collection makes it" in typo.output
    mixed = _shield(api, "ingest", "program.exe", "note.md", "--collection", collection,
                    "--create-collection", "--json")  # fmt: skip
    assert mixed.exit_code == 1  # one refused
    outcome = json.loads(mixed.stdout)
    assert [job["source"] for job in outcome["jobs"]] == ["note.md"]
    assert outcome["refused"][0]["source"] == "program.exe"
    assert "415" in outcome["refused"][0]["error"]
    bad_metadata = _shield(api, "ingest", "note.md", "--metadata", "[1]")
    assert bad_metadata.exit_code == 2

    with api.client() as client:  # the API behind it: a source that leads out is refused
        for source, says in (("../etc/passwd", "may not contain '..'"), ("/etc", "relative")):
            refused = client.post(
                "/ingest-async/upload",
                files={"file": ("note.md", b"# Note\n")},
                data={"source": source, "collection": collection},
            )
            assert refused.status_code == 422, refused.text
            assert says in refused.json()["error"]["message"]


def test_a_profile_says_where_and_who_and_must_be_private(api: ApiServer, tmp_path: Path) -> None:
    folder = tmp_path / "shield"
    folder.mkdir()
    profile = folder / "ops.env"
    profile.write_text(f"SHIELD_API_URL={api.url}\nSHIELD_API_TOKEN={TOKEN}\n")
    profile.chmod(0o600)
    env = {"XDG_CONFIG_HOME": str(tmp_path), "SHIELD_API_URL": None, "SHIELD_API_TOKEN": None}
    listed = _shield(api, "--profile", "ops", "collections", "list", "--json", env=env)
    assert "collections" in _json(listed)
    by_path = _shield(api, "--profile", str(profile), "jobs", "--limit", "1", env=env)
    assert by_path.exit_code == 0, by_path.output

    profile.chmod(0o644)
    exposed = _shield(api, "--profile", "ops", "collections", "list", env=env)
    assert exposed.exit_code == 2
    assert f"chmod 600 {profile}" in exposed.output
    unknown = _shield(api, "--profile", "staging", "collections", "list", env=env)
    assert unknown.exit_code == 2
    assert "staging.env does not exist" in unknown.output

    default = folder / "default.env"
    default.write_text(f"SHIELD_API_URL={api.url}\nSHIELD_API_TOKEN=another-token-0123456789ab\n")
    default.chmod(0o600)
    refused = _shield(api, "collections", "list", env=env)  # the default profile, when present
    assert refused.exit_code == 1
    assert "401 invalid bearer token" in refused.output
    # A token that cannot be one: the client is told to use the one it was given, not to make
    # one up (that advice is for the services' own settings).
    default.write_text(f"SHIELD_API_URL={api.url}\nSHIELD_API_TOKEN=changeme\n")
    placeholder = _shield(api, "collections", "list", env=env)
    assert placeholder.exit_code == 2
    assert "set it to the token you were given" in placeholder.output
    assert "token_urlsafe" not in placeholder.output


def test_tokens_are_created_listed_used_and_revoked(api: ApiServer) -> None:
    made = _json(
        _shield(
            api,
            "tokens", "create", "--name", "ops-reader", "--scope", "read:ops", "--expires", "30d",
            "--json",
        )
    )  # fmt: skip
    assert made["scopes"] == ["read:ops"]
    assert made["expires_at"] is not None
    listed = _json(_shield(api, "tokens", "list", "--json"))["tokens"]
    assert [t["name"] for t in listed if t["name"] == "ops-reader"] == ["ops-reader"]
    assert "token" not in listed[0]
    reader = {"SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": made["token"]}
    who = _shield(api, "tokens", "whoami", env=reader)
    assert who.exit_code == 0, who.output
    assert who.stdout.strip() == "ops-reader (token): read:ops"
    refused = _shield(api, "collections", "create", "legal", env=reader)
    assert refused.exit_code == 1
    assert "needs scope admin" in refused.output
    plain = _shield(api, "tokens", "create", "--name", "ops-writer", "--scope", "write:ops")
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.strip().startswith("shd_")  # the token alone on stdout, for scripts
    assert "not shown again" in plain.stderr
    gone = _shield(api, "tokens", "revoke", "ops-reader")
    assert gone.exit_code == 0, gone.output
    after = _shield(api, "tokens", "whoami", env=reader)
    assert after.exit_code == 1
    assert "revoked" in after.output


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--name", "x", "--scope", "delete:ops"], 2, "unknown scope 'delete:ops'"),
        (["--name", "", "--scope", "read:ops"], 2, "--name ''"),
        (["--name", "Ops Bot", "--scope", "read:ops"], 2, "lower-case"),
        (["--name", "x"], 2, "give at least one --scope"),
        (["--name", "x", "--scope", "read:ops", "--expires", "3x"], 2, "90m, 12h, 30d or 4w"),
        (["--name", "twice", "--scope", "read:ops"], 1, "a token named 'twice' exists"),
    ],
)
def test_bad_token_requests_get_a_clear_error(
    api: ApiServer, args: list[str], code: int, said: str
) -> None:
    if "twice" in args:
        assert _shield(api, "tokens", "create", *args).exit_code == 0
    result = _shield(api, "tokens", "create", *args)
    assert result.exit_code == code, result.output
    assert said in result.output
