"""Listing jobs by status, kind and collection a page at a time, cancelling them by the same
filters, and query parameters no route takes, over HTTP and through `shield jobs`, against a
running shield-api (no worker: every job stays queued until cancelled)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from shield.cli import main
from support.services import TOKEN, ApiServer

pytestmark = pytest.mark.slow


def _collection() -> str:
    return f"jobs-{uuid.uuid4().hex[:8]}"


def _submit(client: httpx.Client, collection: str, kind: str = "document") -> str:
    body: dict[str, Any] = {"kind": "document", "text": "A note.", "source": uuid.uuid4().hex}
    if kind == "crawl":
        body = {"kind": "crawl", "url": "https://docs.example.org/"}
    response = client.post(
        "/ingest-async", json={"create_collection": True, **body, "collection": collection}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def _jobs_in_two_collections(client: httpx.Client) -> tuple[str, list[str], str, str, str]:
    """Three document jobs and a crawl in one new collection, a document job in another."""
    ops, legal = _collection(), _collection()
    documents = [_submit(client, ops) for _ in range(3)]
    crawl = _submit(client, ops, "crawl")
    return ops, documents, crawl, legal, _submit(client, legal)


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [job["job_id"] for job in response.json()["jobs"]]


def test_jobs_are_listed_by_status_kind_and_collection(api: ApiServer) -> None:
    with api.client() as client:
        ops, documents, crawl, legal, other = _jobs_in_two_collections(client)
        assert set(_ids(client.get("/jobs", params={"collection": ops}))) == {*documents, crawl}
        assert _ids(client.get("/jobs", params={"collection": ops, "kind": "crawl"})) == [crawl]
        both = {"collection": ops, "kind": ["crawl", "document"], "status": "queued"}
        assert len(_ids(client.get("/jobs", params=both))) == 4
        done = {"collection": ops, "status": ["succeeded", "failed"]}
        assert _ids(client.get("/jobs", params=done)) == []
        assert other in _ids(client.get("/jobs", params={"collection": legal}))
        newest = client.get("/jobs", params={"collection": ops}).json()["jobs"]
        assert [job["job_id"] for job in newest] == [crawl, *reversed(documents)]


def test_a_cursor_walks_every_page_once(api: ApiServer) -> None:
    ops = _collection()
    with api.client() as client:
        submitted = [_submit(client, ops) for _ in range(7)]
        seen: list[str] = []
        params: dict[str, Any] = {"collection": ops, "limit": 3}
        for _ in range(5):
            page = client.get("/jobs", params=params)
            seen += _ids(page)
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
            params["cursor"] = cursor
        assert seen == list(reversed(submitted))


def test_cancel_by_filter_cancels_only_what_matches(api: ApiServer) -> None:
    with api.client() as client:
        ops, documents, crawl, _legal, other = _jobs_in_two_collections(client)
        body = {"collection": ops, "kind": ["document"], "status": ["queued"]}
        cancelled = client.post("/jobs/cancel", json=body)
        assert cancelled.status_code == 200, cancelled.text
        assert sorted(cancelled.json()["cancelled"]) == sorted(documents)
        states = {job: client.get(f"/jobs/{job}").json()["status"] for job in [*documents, crawl]}
        assert states == {**dict.fromkeys(documents, "cancelled"), crawl: "queued"}
        assert client.get(f"/jobs/{other}").json()["status"] == "queued"
        again = client.post("/jobs/cancel", json=body)
        assert again.json()["cancelled"] == []
        rest = client.post("/jobs/cancel", json={"collection": ops})
        assert rest.json()["cancelled"] == [crawl]


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "says"),
    [
        ("GET", "/jobs", {"stauts": "queued"}, None, "unknown query parameter stauts"),
        ("GET", "/jobs", {"status": "finished"}, None, "status"),
        ("GET", "/jobs", {"kind": "video"}, None, "kind"),
        ("GET", "/jobs", {"cursor": "not-a-cursor"}, None, "not a cursor this api gave"),
        ("GET", "/jobs", {"collection": "../etc"}, None, "collection"),
        ("GET", "/documents", {"colection": "ops"}, None, "takes: collection"),
        ("GET", "/healthz", {"verbose": "1"}, None, "unknown query parameter verbose"),
        ("POST", "/search", {"limit": "3"}, {"query": "x"}, "unknown query parameter limit"),
        ("POST", "/jobs/cancel", {}, {"status": ["succeeded"]}, "status"),
        ("POST", "/jobs/cancel", {}, {"status": []}, "status"),
        ("POST", "/jobs/cancel", {}, {"colection": "ops"}, "colection"),
    ],
)
def test_bad_filters_and_unknown_parameters_get_a_clear_422(
    api: ApiServer,
    method: str,
    path: str,
    params: dict[str, str],
    body: dict[str, Any] | None,
    says: str,
) -> None:
    with api.client() as client:
        response = client.request(method, path, params=params, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert says in error["message"].lower(), error["message"]


def _shield(api: ApiServer, *args: str) -> Result:
    env = {"SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": TOKEN}
    return CliRunner().invoke(main, list(args), env=env)


def test_the_jobs_command_lists_shows_and_cancels_by_filter(api: ApiServer) -> None:
    ops = _collection()
    with api.client() as client:
        documents = [_submit(client, ops) for _ in range(3)]
        crawl = _submit(client, ops, "crawl")
    listed = _shield(api, "jobs", "--collection", ops, "--limit", "0", "--json")
    assert listed.exit_code == 0, listed.output
    assert [j["job_id"] for j in json.loads(listed.output)["jobs"]] == [
        crawl,
        *reversed(documents),
    ]
    two = _shield(api, "jobs", "--collection", ops, "--kind", "document", "--limit", "2", "--json")
    assert len(json.loads(two.output)["jobs"]) == 2
    table = _shield(api, "jobs", "--collection", ops, "--status", "queued")
    assert table.exit_code == 0
    assert crawl in table.output
    assert "0/0 documents" in table.output or "0/1 documents" in table.output
    shown = _shield(api, "jobs", "show", crawl, "--json")
    assert json.loads(shown.output)["kind"] == "crawl"
    cancelled = _shield(
        api, "jobs", "cancel", "--all", "--kind", "document", "--collection", ops, "--json"
    )
    assert sorted(json.loads(cancelled.output)["cancelled"]) == sorted(documents)
    one = _shield(api, "jobs", "cancel", crawl)
    assert one.exit_code == 0
    assert "cancelled 1 job" in one.output
    again = _shield(api, "jobs", "cancel", crawl)  # already ended: shield-api's 409, said
    assert again.exit_code == 1
    assert "cannot be cancelled" in again.output
    unknown = _shield(api, "jobs", "show", "0" * 32)
    assert unknown.exit_code == 1
    assert "no job" in unknown.output


def test_the_jobs_command_says_when_shield_api_cannot_be_reached() -> None:
    env = {"SHIELD_API_URL": "http://127.0.0.1:9", "SHIELD_API_TOKEN": TOKEN}
    result = CliRunner().invoke(main, ["jobs"], env=env)
    assert result.exit_code == 3
    assert "unreachable" in result.output
    usage = CliRunner().invoke(main, ["jobs", "cancel", "--status", "queued"], env=env)
    assert usage.exit_code == 2
    assert "--all" in usage.output


def test_show_follow_prints_each_change_and_exits_with_the_outcome(api: ApiServer) -> None:
    ops = _collection()
    with api.client() as client:
        job = _submit(client, ops)
        env = {**os.environ, "SHIELD_API_URL": api.url, "SHIELD_API_TOKEN": TOKEN}
        follower = subprocess.Popen(
            [sys.executable, "-m", "shield.cli", "jobs", "show", job, "--follow"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        time.sleep(3)  # following: the job is queued, the stream open
        assert follower.poll() is None
        assert client.delete(f"/jobs/{job}").status_code == 200
        out, err = follower.communicate(timeout=60)
    assert follower.returncode == 1, err  # it did not succeed
    lines = out.splitlines()
    assert lines[0].startswith("queued")
    assert any(line.startswith("cancelled") for line in lines), out
    assert job in out  # then the job's table
    ended = _shield(api, "jobs", "show", job, "--follow", "--json")  # already ended: at once
    assert ended.exit_code == 1
