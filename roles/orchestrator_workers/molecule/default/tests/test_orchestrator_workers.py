"""The orchestrator_workers role, checked inside its container next to Redis and shield-api:
two template-unit instances as `shield`, their metrics, a real crawl with the browser engine
(Chromium under the hardened unit) whose page is then found by search, a photo of a page
read by OCR (Tesseract, installed by the role), and a Git repository kept in sync (Debian's git
under the hardened unit, reading root's repository as `shield`)."""

from __future__ import annotations

import json
import shlex
import time
from typing import Any

import pytest
from testinfra.host import Host

from support.hostchecks import (
    assert_file,
    assert_listens_on_loopback_only,
    assert_runs_as,
    assert_secrets_kept_out,
    call_json,
    http_status,
)

testinfra_hosts = ["podman://shield-workers-test"]
TOKEN = "molecule-api-token-0123456789"
REDIS_PASSWORD = "molecule-redis-password-0123"
GIT_TOKEN = "molecule-git-token-0123"
SITE_PORT = 8765
SCRIPT_PAGE = (
    "<html><head><title>Timetable</title></head><body><div id='app'></div><script>"
    "document.getElementById('app').innerHTML = '<h1>Timetable</h1>"
    "<p>The night ferry to the lighthouse island leaves the harbour at eleven.</p>';"
    "</script></body></html>"
)


def api(host: Host, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return call_json(host, method, f"http://127.0.0.1:8080{path}", TOKEN, body)


def finished(host: Host, job_id: str) -> Any:
    """The job once it has ended, which must be as succeeded (two minutes at most)."""
    state: dict[str, Any] = {}
    for _ in range(240):
        state = api(host, "GET", f"/jobs/{job_id}")
        if state["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.5)
    assert state["status"] == "succeeded", json.dumps(state, indent=1)
    return state


@pytest.mark.parametrize("instance", [1, 2])
def test_each_worker_runs_as_the_unprivileged_user(host: Host, instance: int) -> None:
    assert_runs_as(host, f"shield-worker@{instance}", "shield")
    # With the browser on, the sandbox is looser (namespaces, a deny-list): still 3.0 at most.
    rating = host.run(f"systemd-analyze security --threshold=30 shield-worker@{instance}")
    assert rating.rc == 0, rating.stdout[-3000:]


@pytest.mark.parametrize("instance", [1, 2])
def test_the_workers_share_the_cpus_for_embedding(host: Host, instance: int) -> None:
    files = host.check_output(f"systemctl show -P EnvironmentFiles shield-worker@{instance}")
    assert "/etc/shield/worker.env" in files
    # The host's CPUs, among its one bulk worker: the interactive lane's is mostly idle.
    share = max(1, int(host.check_output("nproc --all")))
    wanted = f'SHIELD_EMBEDDING_THREADS="{share}"'
    assert host.run(f"grep -qxF '{wanted}' /etc/shield/worker.env").rc == 0


@pytest.mark.parametrize(("instance", "lane"), [(1, "all"), (2, "interactive")])
def test_the_worker_beyond_the_count_takes_interactive_work_only(
    host: Host, instance: int, lane: str
) -> None:
    wanted = f"SHIELD_WORKER_LANE={lane}"
    assert host.run(f"grep -qxF '{wanted}' /etc/shield/worker-{instance}.env").rc == 0


def test_both_workers_registered_with_the_queue(host: Host) -> None:
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
        ("/etc/shield/git-credentials", "root", "shield", 0o640),
    ],
)
def test_files_and_modes(host: Host, path: str, owner: str, group: str, mode: int) -> None:
    assert_file(host, path, owner, group, mode)


@pytest.mark.parametrize("port", [9111, 9112])
def test_each_worker_serves_its_metrics_on_loopback(host: Host, port: int) -> None:
    assert_listens_on_loopback_only(host, port)
    url = f"http://127.0.0.1:{port}/metrics"
    # They demand the API token, so they may also listen where a monitoring host reaches them.
    assert http_status(host, url) == "401"
    metrics = host.check_output(f"curl -fsS -H 'Authorization: Bearer {TOKEN}' {url}")
    assert "shield_active_jobs" in metrics
    assert "process_resident_memory_bytes" in metrics


def test_a_browser_crawl_renders_javascript_and_its_page_is_found(host: Host) -> None:
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
        finished(host, accepted["job_id"])
        found = api(host, "POST", "/search", {"query": "when does the night ferry leave?"})
        assert "lighthouse island" in found["results"][0]["text"], found
    finally:
        host.run("systemctl stop shield-test-site")


PHOTO_SCRIPT = """
from PIL import Image, ImageDraw, ImageFont
page = Image.new("L", (1400, 500), 255)
font = ImageFont.load_default(size=44)
draw = ImageDraw.Draw(page)
draw.text((60, 80), "Harbour notice", font=font, fill=0)
draw.text((60, 200), "The pilot boat leaves the quay at six.", font=font, fill=0)
page.rotate(90, expand=True).save("/tmp/notice.png")
"""


def test_a_photo_of_a_page_put_in_sideways_is_read_by_ocr_and_found(host: Host) -> None:
    """Tesseract and its English, installed by the role, read a picture upload."""
    assert "eng" in host.check_output("tesseract --list-langs")
    host.run_expect([0], f"/opt/shield/venv/bin/python -c {shlex.quote(PHOTO_SCRIPT)}")
    uploaded = host.check_output(
        f"curl -sf -H 'Authorization: Bearer {TOKEN}' -F file=@/tmp/notice.png "
        "http://127.0.0.1:8080/ingest-async/upload"
    )
    state = finished(host, json.loads(uploaded)["job_id"])
    assert state["result"]["documents"][0]["ocr_pages"] == 1
    found = api(host, "POST", "/search", {"query": "when does the pilot boat leave?"})
    assert "pilot boat" in found["results"][0]["text"], found


def test_the_secrets_stay_out_of_the_unit_and_the_journal(host: Host) -> None:
    assert_secrets_kept_out(
        host, "/etc/systemd/system/shield-worker@.service", "shield-worker@*", TOKEN,
        REDIS_PASSWORD, GIT_TOKEN,
    )  # fmt: skip
    assert GIT_TOKEN not in host.file("/etc/shield/worker.env").content_string


def test_a_git_repository_in_the_inbox_is_kept_in_sync(host: Host) -> None:
    """root's repository, read by the workers' git as `shield` under the hardened unit."""
    git = "git -C /srv/inbox/handbook -c user.name=Ops -c user.email=ops@example.invalid"
    host.run_expect([0], "git init -q -b main /srv/inbox/handbook")
    host.run_expect([0], "printf '# Fog\\n\\nThe keeper sounds the horn in fog.\\n' "
                         "> /srv/inbox/handbook/fog.md")  # fmt: skip
    host.run_expect([0], f"{git} add fog.md && {git} commit -qm 'Fog'")
    source = api(host, "POST", "/sources", {"kind": "git", "path": "handbook"})
    accepted = api(host, "POST", f"/sources/{source['source_id']}/sync")
    finished(host, accepted["job_id"])
    synced = api(host, "GET", f"/sources/{source['source_id']}")
    assert (synced["documents"], synced["last_sync"]["added"]) == (1, 1), synced
    assert synced["last_sync"]["commit"] == host.check_output(f"{git} rev-parse HEAD")
    found = api(host, "POST", "/search", {"query": "when does the keeper sound the horn?"})
    assert found["results"][0]["source"] == "handbook/fog.md", found
