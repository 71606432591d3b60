"""The orchestrator_workers role, checked inside its container next to Redis and shield-api:
two template-unit instances as `shield`, their metrics, and a real crawl with the browser engine
(Chromium under the hardened unit) whose page is then found by search."""

from __future__ import annotations

import json
import shlex
import time
from typing import Any

import pytest

testinfra_hosts = ["podman://shield-workers-test"]
TOKEN = "molecule-api-token-0123456789"
REDIS_PASSWORD = "molecule-redis-password-0123"
SITE_PORT = 8765
SCRIPT_PAGE = (
    "<html><head><title>Timetable</title></head><body><div id='app'></div><script>"
    "document.getElementById('app').innerHTML = '<h1>Timetable</h1>"
    "<p>The night ferry to the lighthouse island leaves the harbour at eleven.</p>';"
    "</script></body></html>"
)


def api(host: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    command = (
        f"curl -sS -X {method} -H 'Authorization: Bearer {TOKEN}' "
        f"-H 'content-type: application/json' http://127.0.0.1:8080{path}"
    )
    if body is not None:
        command += f" -d {shlex.quote(json.dumps(body))}"
    return json.loads(host.check_output(command))


@pytest.mark.parametrize("instance", [1, 2])
def test_each_worker_runs_as_the_unprivileged_user(host: Any, instance: int) -> None:
    service = host.service(f"shield-worker@{instance}")
    assert service.is_running
    assert service.is_enabled
    pid = host.check_output(f"systemctl show -p MainPID --value shield-worker@{instance}")
    assert host.check_output(f"stat -c %U /proc/{pid}") == "shield"
    # With the browser on, the sandbox is looser (namespaces, a deny-list): still 3.0 at most.
    rating = host.run(f"systemd-analyze security --threshold=30 shield-worker@{instance}")
    assert rating.rc == 0, rating.stdout[-3000:]


def test_both_workers_registered_with_the_queue(host: Any) -> None:
    workers = host.check_output(
        f"REDISCLI_AUTH={REDIS_PASSWORD} redis-cli --no-auth-warning smembers rq:workers"
    ).split()
    assert len(workers) == 2, workers


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/shield/worker.env", "root", "shield", 0o640),
        ("/etc/shield/worker-1.env", "root", "shield", 0o640),
        ("/etc/shield/worker-2.env", "root", "shield", 0o640),
        ("/etc/systemd/system/shield-worker@.service", "root", "root", 0o644),
        ("/srv/inbox", "root", "shield", 0o750),
    ],
)
def test_files_and_modes(host: Any, path: str, owner: str, group: str, mode: int) -> None:
    target = host.file(path)
    assert target.exists
    assert (target.user, target.group, target.mode) == (owner, group, mode)


@pytest.mark.parametrize("port", [9111, 9112])
def test_each_worker_serves_its_metrics_on_loopback(host: Any, port: int) -> None:
    assert host.socket(f"tcp://127.0.0.1:{port}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening
    url = f"http://127.0.0.1:{port}/metrics"
    # They demand the API token, so they may also listen where a monitoring host reaches them.
    assert host.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' {url}") == "401"
    metrics = host.check_output(f"curl -fsS -H 'Authorization: Bearer {TOKEN}' {url}")
    assert "shield_active_jobs" in metrics
    assert "process_resident_memory_bytes" in metrics


def test_a_browser_crawl_renders_javascript_and_its_page_is_found(host: Any) -> None:
    host.run("mkdir -p /srv/site")
    host.run(f"printf '%s' {shlex.quote(SCRIPT_PAGE)} > /srv/site/index.html")
    host.run(
        "systemd-run --unit=shield-test-site --collect python3 -m http.server "
        f"{SITE_PORT} --bind 127.0.0.1 --directory /srv/site"
    )
    try:
        accepted = api(
            host,
            "POST",
            "/ingest-async",
            {"kind": "crawl", "url": f"http://127.0.0.1:{SITE_PORT}/", "engine": "browser"},
        )
        job_id = accepted["job_id"]
        state: dict[str, Any] = {}
        for _ in range(240):
            state = api(host, "GET", f"/jobs/{job_id}")
            if state["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.5)
        assert state["status"] == "succeeded", json.dumps(state, indent=1)
        found = api(host, "POST", "/search", {"query": "when does the night ferry leave?"})
        assert "lighthouse island" in found["results"][0]["text"], found
    finally:
        host.run("systemctl stop shield-test-site")


def test_the_secrets_stay_out_of_the_unit_and_the_journal(host: Any) -> None:
    unit = host.file("/etc/systemd/system/shield-worker@.service").content_string
    assert TOKEN not in unit
    journal = host.check_output("journalctl -u 'shield-worker@*' --no-pager")
    assert TOKEN not in journal
    assert REDIS_PASSWORD not in journal
