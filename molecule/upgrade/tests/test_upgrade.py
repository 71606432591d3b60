"""After the upgrade to this release, and again after the rollback to the previous one: each
service runs the wheel of the release deployed, everything answers, what was stored before is
found, in the vector store and in the knowledge graph, and the jobs queued while the workers were
down have all succeeded, their documents in the graph too."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from testinfra.host import Host

from support.hostchecks import call_json

testinfra_hosts = ["podman://shield-u-core"]  # Redis, shield-lightrag, shield-api, the workers
MCP_HOST = "podman://shield-u-mcp"
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
WHEELHOUSES = {
    "current": PROJECT / ".cache" / "wheelhouse",
    "previous": PROJECT / ".cache" / "previous" / "wheelhouse",
}
API = "http://127.0.0.1:8080"


def token() -> str:
    vault: dict[str, Any] = yaml.safe_load(
        (PROJECT / "molecule" / "default" / "vars" / "vault.yml").read_text()
    )
    return str(vault["shield_api_token"])


def release(host: Host) -> str:
    """`current` after the upgrade, `previous` after the rollback (converge and side_effect
    write it down)."""
    return host.file("/root/shield-release").content_string.strip()


@pytest.mark.parametrize("where", ["podman://shield-u-core", MCP_HOST])
def test_each_service_runs_the_wheel_of_the_release_deployed(host: Host, where: str) -> None:
    target = host.get_host(where)
    (wheel,) = WHEELHOUSES[release(target)].glob("shield-*.whl")
    wanted = hashlib.sha256(wheel.read_bytes()).hexdigest()
    installed = target.check_output("cat /opt/shield/venv/.wheel-of-*.sha256").split()
    assert installed, f"no service on {where} installed Shield"
    assert set(installed) == {wanted}, release(target)


def test_every_service_answers(host: Host) -> None:
    mcp = host.get_host(MCP_HOST)
    units = ["redis-server", "shield-lightrag", "shield-api"]
    for target, unit in [*((host, unit) for unit in units), (mcp, "shield-mcp")]:
        assert target.service(unit).is_running, unit
    workers = host.check_output("systemctl list-units --state=running 'shield-worker@*'")
    assert "shield-worker@1.service" in workers, workers
    for target, port in [(host, 8080), (host, 8090), (mcp, 8000)]:
        health = json.loads(target.check_output(f"curl -fsS http://127.0.0.1:{port}/healthz"))
        assert health["status"] == "ok", health


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("how often does the fog bell ring", "lighthouse.md"),
        ("when does the night ferry leave", "ferry.md"),
    ],
)
def test_what_was_stored_before_is_found(host: Host, question: str, source: str) -> None:
    found = call_json(host, "POST", f"{API}/search", token(), {"query": question, "limit": 1})
    assert found["results"][0]["source"] == source


def test_the_graph_still_knows_what_it_learned_before(host: Host) -> None:
    question = {"query": "Who keeps the lighthouse on Gannet Rock?"}
    answer = call_json(host, "POST", f"{API}/lightrag/query", token(), question)
    names = {entity["entity_name"].lower() for entity in answer["entities"]}
    assert "mira holt" in names, answer


def graph_states(host: Host, prefix: str) -> list[str]:
    documents = call_json(host, "GET", f"{API}/documents", token())["documents"]
    return [d["graph"] for d in documents if d["source"].startswith(prefix)]


def test_the_jobs_queued_while_the_workers_were_down_succeed(host: Host) -> None:
    queued = ["queued-for-upgrade"]
    if release(host) == "previous":
        queued.append("queued-for-rollback")
    for name in queued:
        for job_id in json.loads(host.file(f"/root/{name}.json").content_string):
            deadline = time.monotonic() + 300
            job = call_json(host, "GET", f"{API}/jobs/{job_id}", token())
            while job["status"] in ("queued", "running"):
                assert time.monotonic() < deadline, job
                time.sleep(2)
                job = call_json(host, "GET", f"{API}/jobs/{job_id}", token())
            assert job["status"] == "succeeded", job
        found = call_json(host, "POST", f"{API}/search", token(), {"query": f"valves {name}"})
        assert any(r["source"].startswith(name) for r in found["results"]), found
        deadline = time.monotonic() + 300  # the graph takes documents after they are stored
        while "pending" in (states := graph_states(host, name)):
            assert time.monotonic() < deadline, states
            time.sleep(2)
        assert states == ["stored"] * 3, states
