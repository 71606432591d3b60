"""Cold start of each service of compose.yaml, as an operator runs it with podman-compose: from
its container's start to the service's own "ready" line (uvicorn's "Application startup
complete." for shield-api, shield-mcp and shield-lightrag; `worker_started` for a worker, once
its model is loaded; Redis's and Prometheus's own), over `--rounds` of `down` (the volumes kept)
and `up -d`; the median per service. Also `up -d` to shield-mcp answering, and the images' sizes.
A health check polls every 10 s, so the services' own lines time them far better.

    python -m bench.cold_start [--rounds 3]       (the images first: make containers)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import median, save
from support.compose import IMAGES, compose_folder
from support.processes import wait_for

ROOT = Path(__file__).resolve().parents[1]
READY = {
    "redis": "Ready to accept connections",
    "lightrag": "Application startup complete",
    "api": "Application startup complete",
    "worker": "worker_started",
    "mcp": "Application startup complete",
    "prometheus": "Server is ready to receive web requests",
}
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")


def instant(text: str) -> dt.datetime:
    """An RFC 3339 time with up to nanoseconds (podman's), to the microsecond."""
    found = _TIME.search(text)
    if found is None:
        raise ValueError(f"no time in {text!r}")
    whole, fraction, zone = found.groups()
    fraction = (fraction or ".0")[:7]
    return dt.datetime.fromisoformat(whole + fraction + ("+00:00" if zone == "Z" else zone))


class Compose:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.project = env["COMPOSE_PROJECT_NAME"]

    def run(self, *args: str) -> None:
        subprocess.run(
            [str(ROOT / ".venv/bin/podman-compose"), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            check=True,
            timeout=600,
        )

    def containers(self) -> dict[str, list[str]]:
        """Container names by compose service."""
        listed = subprocess.run(
            ["podman", "ps", "-a", "--format", "json", "--filter",
             f"label=io.podman.compose.project={self.project}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        found: dict[str, list[str]] = {}
        for container in json.loads(listed.stdout or "[]"):
            service = container["Labels"]["com.docker.compose.service"]
            found.setdefault(service, []).append(container["Names"][0])
        return found


def seconds_to_ready(container: str, marker: str) -> float:
    """From the container's start to the first log line with `marker` (after that start)."""
    inspected = subprocess.run(
        ["podman", "inspect", "--format", "json", container],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    started = instant(json.loads(inspected.stdout)[0]["State"]["StartedAt"])
    logs = subprocess.run(
        ["podman", "logs", "--timestamps", container], capture_output=True, text=True, check=True
    )
    for line in (logs.stdout + logs.stderr).splitlines():
        if marker in line and (at := instant(line)) >= started:
            return (at - started).total_seconds()
    raise AssertionError(f"{container} never logged {marker!r} after it started")


def all_ready(compose: Compose, timeout: float = 300) -> dict[str, float]:
    """Each service's seconds to ready (the slowest of its replicas)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return {
                service: max(seconds_to_ready(name, READY[service]) for name in names)
                for service, names in compose.containers().items()
            }
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def image_sizes() -> dict[str, int]:
    sizes = {}
    for variable, image in IMAGES.items():
        shown = subprocess.run(
            ["podman", "image", "inspect", "--format", "{{.Size}}", image],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        sizes[variable] = int(shown.stdout.strip())
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = compose_folder(Path(tempfile.mkdtemp()) / "compose")
    mcp_port = 18_700
    env = {
        **os.environ,
        **IMAGES,
        "SHIELD_API_PORT": "18701",
        "SHIELD_MCP_PORT": str(mcp_port),
        "SHIELD_PROMETHEUS_PORT": "18702",
        "COMPOSE_PROJECT_NAME": f"shield-bench-{os.getpid()}",
    }
    compose = Compose(folder, env)
    rounds: list[dict[str, float]] = []
    up_to_mcp: list[float] = []
    try:
        for round_no in range(args.rounds + 1):  # the first creates the volumes: not counted
            start = time.monotonic()
            compose.run("up", "-d")
            wait_for(
                lambda: httpx.get(f"http://127.0.0.1:{mcp_port}/healthz", timeout=2).is_success,
                300,
                "shield-mcp's /healthz",
                interval=0.2,
            )
            answered = time.monotonic() - start
            ready = all_ready(compose)
            compose.run("down")
            if round_no == 0:
                continue
            up_to_mcp.append(answered)
            rounds.append(ready)
            shown = ", ".join(f"{s} {v:.1f} s" for s, v in sorted(ready.items()))
            print(f"round {round_no}: up to shield-mcp answering {answered:.1f} s; {shown}")
    finally:
        subprocess.run(
            [str(ROOT / ".venv/bin/podman-compose"), "down", "-v"],
            cwd=folder, env=env, capture_output=True, check=False, timeout=600,
        )  # fmt: skip
    figures: dict[str, Any] = {
        "up_to_mcp_answering_s": median(up_to_mcp),
        "seconds_to_ready": {s: median([r[s] for r in rounds]) for s in sorted(rounds[0])},
        "image_bytes": image_sizes(),
    }
    print(f"\nup -d to shield-mcp answering: {figures['up_to_mcp_answering_s']:.1f} s (median)")
    for service, seconds in figures["seconds_to_ready"].items():
        print(f"{service:>10}: ready {seconds:.1f} s after its container started (median)")
    for variable, size in figures["image_bytes"].items():
        print(f"{IMAGES[variable]}: {size / 1e9:.2f} GB")
    save("cold-start", figures)


if __name__ == "__main__":
    main()
