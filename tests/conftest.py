"""Shared fixtures: a real Redis server, the real embedding model, and factories that start
Shield's services with the overrides a module needs (support/ has the services themselves)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from redis import Redis

from shield.embeddings.local import LocalEmbedder
from shield.logging import configure_logging
from support.processes import RedisServer

if TYPE_CHECKING:  # the services' modules are imported by the tests that start them
    from support.services import ApiServer, GraphProcess, WorkerProcess

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


@pytest.fixture(scope="module")
def start_api(
    redis_server: RedisServer, embedder: LocalEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., ApiServer]]:
    """Starts shield-api in a thread of the test process (sharing the loaded model), on an empty
    Redis and data folder, with ApiSettings overrides; stops each at the end of the module."""
    from support.services import ApiServer, api_settings

    started: list[ApiServer] = []

    def start(**overrides: Any) -> ApiServer:
        redis_server.client().flushall()
        settings = api_settings(redis_server.url, tmp_path_factory.mktemp("data"), **overrides)
        started.append(ApiServer(settings, embedder))
        return started[-1]

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture(scope="module")
def start_worker(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., WorkerProcess]]:
    """Starts a `shield worker` process for a shield-api, with more SHIELD_* variables; waits
    until it has registered with RQ; stops each at the end of the module."""
    from support.services import WorkerProcess, worker_env

    started: list[WorkerProcess] = []

    def start(api: ApiServer, **env: str) -> WorkerProcess:
        log = tmp_path_factory.mktemp("logs") / "worker.log"
        process = WorkerProcess({**worker_env(api), **env}, log)
        started.append(process)
        process.wait_ready(api.settings.redis_url)
        return process

    yield start
    for process in reversed(started):
        process.stop()


@pytest.fixture(scope="module")
def api(start_api: Callable[..., ApiServer]) -> ApiServer:
    """shield-api with the default settings; a module overrides this fixture for others."""
    return start_api()


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphProcess]:
    """shield-lightrag as a process, for a module whose `api` takes its graph from it."""
    from support.services import GraphProcess

    process = GraphProcess(tmp_path_factory.mktemp("graph"), tmp_path_factory.mktemp("g") / "g.log")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def worker(api: ApiServer, start_worker: Callable[..., WorkerProcess]) -> WorkerProcess:
    return start_worker(api)


@pytest.fixture(scope="module")
def loopback_worker(
    api: ApiServer,
    start_worker: Callable[..., WorkerProcess],
    tmp_path_factory: pytest.TempPathFactory,
) -> WorkerProcess:
    """A worker that may fetch from the test sites on 127.0.0.1, and nothing else on loopback."""
    return start_worker(
        api,
        SHIELD_CRAWL_ALLOWLIST="127.0.0.1",
        SHIELD_DATA_DIR=str(tmp_path_factory.mktemp("worker-data")),
    )
