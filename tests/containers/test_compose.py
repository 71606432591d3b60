"""Shield's image and compose.yaml, as an operator without Ansible runs them, with podman-compose:
every service up and healthy, an MCP client stores, ingests and finds; only the API and MCP
ports are published; `down` then `up` keeps the data; a job queued while no worker runs is taken
up when the workers come back; Prometheus scrapes every service. The image runs unprivileged and
holds no repository, tests or secrets. Needs the images: `make containers` builds them and runs
this."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession

from support.compose import IMAGES, compose_folder
from support.mcp import structured, with_session
from support.processes import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.containers]

ROOT = Path(__file__).resolve().parents[2]
IMAGE = IMAGES["SHIELD_IMAGE"]


@dataclass
class Deployment:
    folder: Path
    env: dict[str, str]
    api_url: str
    mcp_url: str
    prometheus_url: str
    started_seconds: float = 0.0

    def compose(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [str(ROOT / ".venv/bin/podman-compose"), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
        return done.stdout

    def secret(self, name: str) -> str:
        return (self.folder / "compose" / "secrets" / name).read_text().strip()

    def up(self) -> float:
        """`up -d`, then the seconds until shield-api and shield-mcp answer."""
        start = time.monotonic()
        self.compose("up", "-d")
        for url in (self.api_url, self.mcp_url):
            wait_for(
                lambda url=url: httpx.get(f"{url}/healthz", timeout=2).status_code == 200,
                300,
                f"{url}/healthz (podman-compose logs shows why)",
                interval=1,
            )
        return time.monotonic() - start


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = compose_folder(tmp_path_factory.mktemp("compose"))
    ports = {name: free_port() for name in ("API", "MCP", "PROMETHEUS")}
    env = {
        **os.environ,
        **IMAGES,
        **{f"SHIELD_{name}_PORT": str(port) for name, port in ports.items()},
        "SHIELD_WORKERS": "2",
        "COMPOSE_PROJECT_NAME": f"shield-test-{os.getpid()}",
    }
    found = Deployment(
        folder,
        env,
        f"http://127.0.0.1:{ports['API']}",
        f"http://127.0.0.1:{ports['MCP']}",
        f"http://127.0.0.1:{ports['PROMETHEUS']}",
    )
    try:
        found.started_seconds = found.up()
        yield found
    finally:
        found.compose("down", "-v", timeout=300)


async def _ingest_and_find(session: ClientSession) -> dict[str, Any]:
    stored = structured(
        await session.call_tool("qdrant_store", {"text": "The depot gate code changes on Mondays."})
    )
    job = structured(
        await session.call_tool(
            "ingest_doc",
            {
                "text": "# Ferries\n\nThe ferry Saltmere Star sails to Gannet Rock at dawn.",
                "source": "ferries.md",
                "wait": True,
            },
        )
    )
    found = structured(await session.call_tool("qdrant_find", {"query": "ship to Gannet Rock"}))
    return {"stored": stored, "job": job, "found": found}


async def _find_the_lighthouse(session: ClientSession) -> dict[str, Any]:
    return structured(await session.call_tool("qdrant_find", {"query": "who keeps the light"}))


def test_an_assistant_stores_ingests_and_finds(deployment: Deployment) -> None:
    out = with_session(deployment.mcp_url, deployment.secret("mcp_token"), _ingest_and_find, 300)
    assert out["job"]["job"]["status"] == "succeeded", out["job"]
    assert "Saltmere Star" in out["found"]["results"][0]["text"], out["found"]
    print(f"compose up to healthy: {deployment.started_seconds:.0f} s")


def _containers(deployment: Deployment) -> list[dict[str, Any]]:
    project = deployment.env["COMPOSE_PROJECT_NAME"]
    label = f"label=com.docker.compose.project={project}"
    listed = subprocess.run(
        ["podman", "ps", "--format", "json", "--filter", label],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found: list[dict[str, Any]] = json.loads(listed.stdout)
    return found


def test_every_container_passes_its_health_check(deployment: Deployment) -> None:
    """Each service's health check, run as the engine runs it: the image's `shield probe` in
    each Shield service, given the engine's retries (compose.yaml: 3) before it counts as
    failed (a check can overrun its timeout on a busy host, once)."""
    checked = set()
    for container in _containers(deployment):
        service = container["Labels"]["com.docker.compose.service"]
        for _attempt in range(3):
            done = subprocess.run(
                ["podman", "healthcheck", "run", container["Id"]],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            if done.returncode == 0:
                break
        assert done.returncode == 0, (service, done.stdout, done.stderr)
        checked.add(service)
    assert checked == {"api", "worker", "lightrag", "mcp", "redis", "prometheus"}


def test_only_the_api_and_mcp_are_published(deployment: Deployment) -> None:
    published = _containers(deployment)
    ports = {
        container["Labels"]["com.docker.compose.service"]: {
            (port["host_ip"] or "0.0.0.0", port["container_port"])
            for port in container.get("Ports") or []
        }
        for container in published
    }
    assert ports["api"] == {("0.0.0.0", 8080)}
    assert ports["mcp"] == {("0.0.0.0", 8000)}
    assert ports["prometheus"] == {("127.0.0.1", 9090)}
    for service in ("redis", "lightrag", "worker"):
        assert not ports.get(service), (service, ports)


def test_a_job_queued_without_workers_is_taken_up_when_they_return(
    deployment: Deployment,
) -> None:
    api = httpx.Client(
        base_url=deployment.api_url,
        headers={"Authorization": f"Bearer {deployment.secret('api_token')}"},
        timeout=30,
    )
    deployment.compose("stop", "worker")
    job_id = api.post(
        "/ingest-async",
        json={"kind": "document", "text": "# Tides\n\nHigh tide at the north quay is at noon."},
    ).json()["job_id"]
    time.sleep(3)
    assert api.get(f"/jobs/{job_id}").json()["status"] == "queued"
    deployment.compose("start", "worker")
    deadline = time.monotonic() + 180
    while (status := api.get(f"/jobs/{job_id}").json()["status"]) in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(1)
    assert status == "succeeded"


def test_prometheus_scrapes_every_service(deployment: Deployment) -> None:
    wanted = {"shield-api", "shield-worker", "shield-mcp", "shield-lightrag", "prometheus"}
    deadline = time.monotonic() + 90
    while True:
        targets = httpx.get(f"{deployment.prometheus_url}/api/v1/targets", timeout=10).json()
        healthy = {
            t["labels"]["job"] for t in targets["data"]["activeTargets"] if t["health"] == "up"
        }
        if wanted <= healthy or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert wanted <= healthy, targets["data"]["activeTargets"]


def test_down_and_up_keeps_the_data(deployment: Deployment) -> None:
    token = deployment.secret("mcp_token")
    note = "Mira Holt keeps the lighthouse on Gannet Rock."
    stored = httpx.post(
        f"{deployment.api_url}/store",
        json={"text": note, "source": "lighthouse.md"},
        headers={"Authorization": f"Bearer {deployment.secret('api_token')}"},
        timeout=60,
    )
    assert stored.status_code == 200, stored.text
    before = with_session(deployment.mcp_url, token, _find_the_lighthouse, 120)
    assert before["results"][0]["text"] == note
    deployment.compose("down")
    deployment.up()
    after = with_session(deployment.mcp_url, token, _find_the_lighthouse, 120)
    assert after["results"][0]["text"] == note


def test_the_image_runs_unprivileged_and_holds_no_repository_or_secrets() -> None:
    inspect = json.loads(
        subprocess.run(
            ["podman", "image", "inspect", IMAGE], capture_output=True, text=True, check=True
        ).stdout
    )[0]
    config = inspect["Config"]
    assert config["User"] == "shield"
    assert inspect["Healthcheck"]["Test"] == ["CMD", "shield", "probe"]
    assert inspect["Labels"]["org.opencontainers.image.version"]
    script = (
        "id -u; "
        # private keys anywhere, the repository's own folders, the deploy's secrets, env files
        "find / -xdev \\( -name '*.pem' -o -name '*.key' -o -name 'id_rsa*' \\) "
        "-exec grep -l 'PRIVATE KEY' {} + 2>/dev/null; "
        "find / -xdev \\( -name .git -o -name .secrets -o -name vault.yml -o -name '*.env' "
        "-o -path '*/site-packages/tests' -o -path '*/shield/tests' \\) -print 2>/dev/null; "
        "ls /wheels 2>&1 | head -1"
    )
    done = subprocess.run(
        ["podman", "run", "--rm", "--entrypoint", "sh", IMAGE, "-c", script],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[0] == "10001"
    assert lines[1:-1] == []
    assert "No such file" in lines[-1]  # the build stage's wheels stayed there


def test_the_image_reads_scans_by_ocr() -> None:
    """Tesseract and its English, for the workers' OCR of scans and photos."""
    done = subprocess.run(
        ["podman", "run", "--rm", "--entrypoint", "tesseract", IMAGE, "--list-langs"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert {"eng", "osd"} <= set(done.stdout.split())
