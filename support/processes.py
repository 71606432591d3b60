"""Processes on this machine for tests and benchmarks: free ports, waiting for a condition, a
real `redis-server`, and starting and stopping Shield's own service processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from redis import Redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: object, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return
        except Exception:
            pass
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class RedisServer:
    def __init__(self, directory: Path, password: str = "") -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; run `make bootstrap`")
        self.port = free_port()
        secret = f":{password}@" if password else ""
        self.url = f"redis://{secret}127.0.0.1:{self.port}/0"
        self.directory = directory
        self._binary = binary
        self._password = password
        self.start()

    def start(self) -> None:
        """Start (again): same port, same directory, so the append-only file brings data back."""
        binary, password, directory = self._binary, self._password, self.directory
        self._process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(directory),
                "--daemonize",
                "no",
                *(["--requirepass", password] if password else []),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: Redis.from_url(self.url).ping(), 10, "redis-server to start")

    def client(self) -> Redis:
        return Redis.from_url(self.url)

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(10)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final flush; what survives is what the append-only file held."""
        self._process.kill()
        self._process.wait(10)


def wait_healthy(
    process: subprocess.Popen[bytes], url: str, log: Callable[[], str], name: str, timeout: float
) -> None:
    """Until `url`/healthz answers 200; fails at once, with the log, if the process exited."""

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{name} exited:\n{log()[-3000:]}")
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, timeout, f"{name} to start")


def stop_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then after `grace` seconds SIGKILL to its whole process group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
