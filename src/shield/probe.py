"""`shield probe`: the container's health check. It finds which service the container runs (its
first process's command line) and asks that service's /healthz on loopback; a worker, which
has no HTTP port of its own, is healthy while its /metrics answers (when it serves them)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

DEFAULT_PORTS = {"api": 8080, "mcp": 8000, "lightrag": 8090}
TIMEOUT_SECONDS = 4.0


def running_service(cmdline: Path = Path("/proc/1/cmdline")) -> str | None:
    """`api`, `mcp`, `lightrag` or `worker`: the `shield` command the container started."""
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return None
    for arg in args:
        name = arg.decode(errors="replace")
        if name in (*DEFAULT_PORTS, "worker"):
            return name
    return None


def probe_url(service: str | None) -> str | None:
    """Where the service answers; None when there is nothing to ask (a worker without metrics)."""
    if service in DEFAULT_PORTS:
        port = os.environ.get("SHIELD_PORT") or DEFAULT_PORTS[service]
        return f"http://127.0.0.1:{port}/healthz"
    metrics = os.environ.get("SHIELD_WORKER_METRICS_PORT")
    if service == "worker" and metrics:
        return f"http://127.0.0.1:{metrics}/metrics"
    return None


def healthy(url: str) -> tuple[bool, str]:
    """Any answer below 500 from a worker's metrics (it may want a token) is alive; a service's
    /healthz must answer 200."""
    try:
        response = httpx.get(url, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return False, f"{url}: {exc}"
    ok = response.status_code == 200 or (url.endswith("/metrics") and response.status_code < 500)
    return ok, f"{url}: {response.status_code}"
