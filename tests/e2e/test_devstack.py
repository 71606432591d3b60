"""`make dev-up` / `make dev-down` (support/devstack.py): every service from this checkout as a
detached process, usable with the tokens it made, left alone when asked again, refused with the
variable to set when a port is taken, and stopped by `down`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from support.processes import free_port

REPOSITORY = Path(__file__).parents[2]


def devstack(action: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support.devstack", action, "--root", str(root)],
        check=False,
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def pids(root: Path) -> dict[str, int]:
    return {path.stem: int(path.read_text()) for path in (root / "run").glob("*.pid")}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_dev_up_runs_the_platform_and_dev_down_stops_it(tmp_path: Path) -> None:
    ports = {
        name: str(free_port())
        for name in (
            "SHIELD_PORT",
            "SHIELD_MCP_PORT",
            "SHIELD_LIGHTRAG_PORT",
            "SHIELD_LOCAL_REDIS_PORT",
        )
    }
    env = {**os.environ, **ports}
    root = tmp_path / "var"
    try:
        up = devstack("up", root, env)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "Shield is running." in up.stdout
        assert set(pids(root)) == {"redis", "lightrag", "api", "worker", "mcp"}
        token_file = root / "api-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        api = f"http://127.0.0.1:{ports['SHIELD_PORT']}"
        headers = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
        stored = httpx.post(
            f"{api}/store", json={"text": "The dev stack keeps notes."}, headers=headers, timeout=60
        )
        assert stored.status_code == 200, stored.text
        assert httpx.post(f"{api}/search", json={"query": "notes"}).status_code == 401
        mcp = f"http://127.0.0.1:{ports['SHIELD_MCP_PORT']}/mcp"
        assert httpx.post(mcp, json={}).status_code == 401

        started = pids(root)
        again = devstack("up", root, env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert pids(root) == started  # what runs is left alone

        taken = devstack("up", tmp_path / "another", env)
        assert taken.returncode == 1
        redis_port = ports["SHIELD_LOCAL_REDIS_PORT"]
        assert f"port {redis_port} for Redis is taken by another program" in taken.stderr
        assert "set SHIELD_LOCAL_REDIS_PORT" in taken.stderr
    finally:
        down = devstack("down", root, env)
    assert down.returncode == 0, down.stdout + down.stderr
    stopped = {line.removeprefix("stopped ") for line in down.stdout.splitlines()}
    assert stopped == {"redis", "lightrag", "api", "worker", "mcp"}
    assert not any(alive(pid) for pid in started.values())
    assert pids(root) == {}
    assert (root / "data").is_dir()  # the data is kept
