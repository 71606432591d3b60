"""Load: Locust drives shield-api and shield-mcp (a worker and Redis behind them) with a mix of
searches, tool calls, writes and ingests, at 10 and then 100 concurrent users; then the same
read-only load twice, to see whether memory keeps growing when the work does not.

Bounded for CI (SHIELD_LOAD_SECONDS per phase, 15 by default); `make load` runs longer phases and
records the figures in bench/results/load.json for docs/RELIABILITY.md."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.mcp import MCP_TOKEN, McpProcess
from support.processes import RedisServer
from support.services import TOKEN, ApiProcess, WorkerProcess, process_env

SECONDS = int(os.environ.get("SHIELD_LOAD_SECONDS", "15"))
RECORD = Path(__file__).parents[2] / "bench" / "results" / "load.json"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MAX_ERROR_RATIO = 0.01
# Growth allowed between two identical read-only phases: allocator noise, caches warming.
MAX_GROWTH_MB = 40.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def locust(
    env: dict[str, str], users: int, prefix: Path, *, read_only: bool = False
) -> dict[str, Any]:
    command = [
        str(Path(sys.executable).with_name("locust")),
        f"--locustfile={LOCUSTFILE}",
        "--headless",
        f"--users={users}",
        f"--spawn-rate={max(10, users // 2)}",
        f"--run-time={SECONDS}s",
        f"--csv={prefix}",
        "--only-summary",
        "--exit-code-on-error=0",
        "--loglevel=WARNING",
        *(["--tags=read"] if read_only else []),
    ]
    run = subprocess.run(
        command,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    with Path(f"{prefix}_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}

    def figures(row: dict[str, str]) -> dict[str, float]:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }

    return {name: figures(row) for name, row in rows.items()}


def test_the_platform_holds_10_and_100_users_without_errors_or_leaks(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    redis_server.client().flushall()
    common = process_env(redis_server.url, tmp_path / "data")
    api = ApiProcess(common, tmp_path / "api.log")
    worker = WorkerProcess({**common, "SHIELD_API_URL": api.url}, tmp_path / "worker.log")
    mcp = McpProcess(api, tmp_path / "mcp.log", SHIELD_LOG_LEVEL="WARNING")
    try:
        worker.wait_ready(redis_server.url)
        with api.client() as client:  # something to find from the first search on
            for query in ("spare key", "boiler", "night ferry", "moorings", "wifi policy"):
                client.post("/store", json={"text": f"Where to look for the {query}: the binder."})
        pids = {
            "shield-api": api.process.pid,
            "shield-worker": worker.process.pid,
            "shield-mcp": mcp.process.pid,
        }  # type: ignore[union-attr]
        env = {
            "SHIELD_LOAD_API_URL": api.url,
            "SHIELD_LOAD_API_TOKEN": TOKEN,
            "SHIELD_LOAD_MCP_URL": mcp.url,
            "SHIELD_LOAD_MCP_TOKEN": MCP_TOKEN,
        }
        memory: dict[str, dict[str, float]] = {"start": {n: rss_mb(p) for n, p in pids.items()}}
        phases = {}
        for users in (10, 100):
            phases[f"{users} users"] = locust(env, users, tmp_path / f"mixed-{users}")
        memory["after mixed load"] = {n: rss_mb(p) for n, p in pids.items()}
        locust(env, 100, tmp_path / "read-1", read_only=True)
        memory["after read-only run 1"] = {n: rss_mb(p) for n, p in pids.items()}
        phases["100 users, read-only"] = locust(env, 100, tmp_path / "read-2", read_only=True)
        memory["after read-only run 2"] = {n: rss_mb(p) for n, p in pids.items()}
    finally:
        mcp.stop()
        worker.stop()
        api.stop()

    report = {
        "seconds_per_phase": SECONDS,
        "cores": os.cpu_count(),
        "phases": phases,
        "memory_mb": memory,
    }
    print(json.dumps(report, indent=1))
    if os.environ.get("SHIELD_LOAD_RECORD"):
        RECORD.write_text(json.dumps(report, indent=1) + "\n")
    for phase, rows in phases.items():
        total = rows["Aggregated"]
        assert total["requests"] > 0, phase
        assert total["failures"] / total["requests"] <= MAX_ERROR_RATIO, (phase, rows)
    growth = {
        name: memory["after read-only run 2"][name] - memory["after read-only run 1"][name]
        for name in pids
    }
    assert all(mb < MAX_GROWTH_MB for mb in growth.values()), (growth, memory)
