"""`make dev-up` / `make dev-down`: Shield from this checkout as plain processes (Redis,
shield-lightrag, shield-api, one shield-worker, shield-mcp), detached, with their state, logs,
pid files and generated tokens under one folder (var/ by default). Idempotent: what already runs
is left alone; `down` stops it and keeps the data.

    python -m support.devstack up|down [--root DIR]

Ports come from SHIELD_PORT, SHIELD_MCP_PORT, SHIELD_LIGHTRAG_PORT and SHIELD_LOCAL_REDIS_PORT
(8080, 8000, 8090, 6379 by default)."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.processes import wait_for

# Stopped in this order, started in the reverse.
SERVICES = ("mcp", "worker", "api", "lightrag", "redis")


class DevStackError(RuntimeError):
    """Something a developer has to act on: a port taken, a service that exited."""


@dataclass(frozen=True)
class Ports:
    api: int
    mcp: int
    lightrag: int
    redis: int

    @classmethod
    def from_env(cls) -> Ports:
        env = os.environ.get
        return cls(
            api=int(env("SHIELD_PORT", "8080")),
            mcp=int(env("SHIELD_MCP_PORT", "8000")),
            lightrag=int(env("SHIELD_LIGHTRAG_PORT", "8090")),
            redis=int(env("SHIELD_LOCAL_REDIS_PORT", "6379")),
        )


class DevStack:
    def __init__(self, root: Path, ports: Ports) -> None:
        self.root = root
        self.ports = ports
        self.run_dir, self.log_dir = root / "run", root / "log"

    def token(self, name: str) -> str:
        """The token in `root/<name>-token`, made on first use, readable by its owner alone."""
        path = self.root / f"{name}-token"
        if not path.is_file() or not path.read_text().strip():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(32) + "\n")
        return path.read_text().strip()

    def pid(self, name: str) -> int | None:
        """The service's process id, if it runs."""
        try:
            pid = int((self.run_dir / f"{name}.pid").read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def up(self) -> None:
        for folder in (self.run_dir, self.log_dir, self.root / "data", self.root / "redis"):
            folder.mkdir(parents=True, exist_ok=True)
        (self.root / "inbox").mkdir(exist_ok=True)
        self.root.chmod(0o700)
        self._start_redis()
        ports = self.ports
        env = {
            **os.environ,
            "SHIELD_REDIS_URL": f"redis://127.0.0.1:{ports.redis}/0",
            "SHIELD_API_TOKEN": self.token("api"),
            "SHIELD_DATA_DIR": str(self.root / "data"),
            "SHIELD_INBOX_DIR": str(self.root / "inbox"),  # files here can be ingested by path
            "SHIELD_API_URL": f"http://127.0.0.1:{ports.api}",
            "SHIELD_LIGHTRAG_URL": f"http://127.0.0.1:{ports.lightrag}",
            "SHIELD_LIGHTRAG_TOKEN": self.token("lightrag"),
            "HF_HUB_OFFLINE": "1",
        }
        shield = str(Path(sys.executable).with_name("shield"))
        self._start(
            "lightrag", [shield, "lightrag", "--port", str(ports.lightrag)], env, ports.lightrag
        )
        self._start(
            "api", [shield, "api", "--host", "127.0.0.1", "--port", str(ports.api)], env, ports.api
        )
        # A worker never talks to the graph (shield-api hands it documents): no token for it.
        worker_env = {k: v for k, v in env.items() if not k.startswith("SHIELD_LIGHTRAG_")}
        self._start("worker", [shield, "worker"], worker_env, None)
        mcp_env = {**env, "SHIELD_MCP_TOKEN": self.token("mcp")}
        self._start("mcp", [shield, "mcp", "--port", str(ports.mcp)], mcp_env, ports.mcp)
        self._wait_ready()

    def down(self) -> list[str]:
        """Stops every service that runs (SIGTERM, SIGKILL after 10 s); returns their names."""
        stopped = []
        for name in SERVICES:
            pid = self.pid(name)
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
                try:
                    wait_for(lambda pid=pid: not _alive(pid), 10, f"{name} to stop", 0.1)
                except AssertionError:
                    os.kill(pid, signal.SIGKILL)
                stopped.append(name)
            (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
        return stopped

    def _check_port(self, name: str, port: int, variable: str) -> None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise DevStackError(
                    f"port {port} for {name} is taken by another program; set {variable}"
                )

    def _start_redis(self) -> None:
        if self.pid("redis") is not None:
            return
        self._check_port("Redis", self.ports.redis, "SHIELD_LOCAL_REDIS_PORT")
        binary = shutil.which("redis-server")
        if binary is None:
            raise DevStackError("redis-server is not installed; run `make bootstrap`")
        pidfile = self.run_dir / "redis.pid"
        options = {
            "port": self.ports.redis,
            "bind": "127.0.0.1",
            "dir": self.root / "redis",
            "appendonly": "yes",
            "daemonize": "yes",
            "pidfile": pidfile,
            "logfile": self.log_dir / "redis.log",
        }
        arguments = [str(part) for key, value in options.items() for part in (f"--{key}", value)]
        subprocess.run([binary, *arguments], check=True)
        wait_for(lambda: self.pid("redis") is not None, 10, "redis-server to start", 0.1)

    def _start(self, name: str, command: list[str], env: dict[str, str], port: int | None) -> None:
        if self.pid(name) is not None:
            return
        if port is not None:
            variables = {"api": "SHIELD_PORT", "mcp": "SHIELD_MCP_PORT"}
            self._check_port(name, port, variables.get(name, "SHIELD_LIGHTRAG_PORT"))
        with (self.log_dir / f"{name}.log").open("ab") as log:
            # Its own session: it outlives this command and the terminal it ran in.
            process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        (self.run_dir / f"{name}.pid").write_text(f"{process.pid}\n")

    def _wait_ready(self, timeout: float = 120) -> None:
        url = f"http://127.0.0.1:{self.ports.api}/readyz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name in SERVICES:
                if self.pid(name) is None:
                    log = (self.log_dir / f"{name}.log").read_text(errors="replace")[-2000:]
                    raise DevStackError(f"shield-{name} exited; {self.log_dir}/{name}.log:\n{log}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise DevStackError(f"shield-api is not ready after {timeout:.0f} s; see {self.log_dir}")

    def describe(self) -> str:
        ports, root = self.ports, self.root
        api = f"http://127.0.0.1:{ports.api}"
        mcp_json = (
            f'{{"mcpServers": {{"shield": {{"url": "http://127.0.0.1:{ports.mcp}/mcp",\n'
            f'                             "headers": {{"Authorization": "Bearer '
            f'{self.token("mcp")}"}}}}}}}}'
        )
        return f"""Shield is running.
  API        {api}   (OpenAPI: /docs, /openapi.json)
  MCP        http://127.0.0.1:{ports.mcp}/mcp   (token: {root}/mcp-token)
  Graph      http://127.0.0.1:{ports.lightrag}   (asked through the API's /lightrag/query)
  Redis      127.0.0.1:{ports.redis}
  Token      {root}/api-token   (send it as: Authorization: Bearer <token>)
  Logs       {root}/log/
  Inbox      {root}/inbox/   (ingest a file or folder in it: {{"kind": "document", "path": "name"}})
Try it:
  TOKEN=$(cat {root}/api-token)
  curl -s -X POST {api}/ingest-async -H "Authorization: Bearer $TOKEN" \\
       -H 'content-type: application/json' \\
       -d '{{"kind": "document", "source": "hello.md",
            "text": "# Hello\\nShield keeps your notes searchable."}}'
  curl -s -X POST {api}/search -H "Authorization: Bearer $TOKEN" \\
       -H 'content-type: application/json' -d '{{"query": "what does Shield keep?"}}'
MCP clients (Cursor's mcp.json; more in docs/guides/CLIENT_INTEGRATION.md):
  {mcp_json}
Stop it with: make dev-down"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child of this process that exited stays a zombie until reaped; it is not running.
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--root", type=Path, default=Path("var"), help="state folder (var/)")
    args = parser.parse_args()
    stack = DevStack(args.root.resolve(), Ports.from_env())
    try:
        if args.action == "up":
            print("make dev-up: starting; waiting for shield-api to be ready", flush=True)
            stack.up()
            print(stack.describe())
        else:
            for name in stack.down():
                print(f"stopped {name}")
    except DevStackError as error:
        sys.exit(f"make dev-{args.action}: {error}")


if __name__ == "__main__":
    main()
