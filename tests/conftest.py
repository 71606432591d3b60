"""Shared fixtures: a real Redis server, the real embedding model, and helpers to run Shield's
services on free loopback ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from shield.embeddings.local import LocalEmbedder
from shield.logging import configure_logging

os.environ.setdefault("HF_HUB_OFFLINE", "1")
configure_logging("WARNING", "console", service="tests")


# Tests in these folders start services: `make test-fast` (-m "not slow") leaves them out.
SLOW_FOLDERS = frozenset({"e2e", "security", "chaos", "load"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_root = Path(__file__).resolve().parent
    for item in items:
        parts = item.path.resolve().relative_to(tests_root).parts
        if parts and parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition; 0 if it is not there."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[Redis]:
    client = redis_server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def embedder() -> LocalEmbedder:
    """The real all-MiniLM-L6-v2 model, loaded once for the whole run."""
    return LocalEmbedder()
