from __future__ import annotations

from collections.abc import Iterator

import pytest

from shield.embeddings.local import LocalEmbedder
from tests.conftest import RedisServer
from tests.e2e.harness import ApiServer, WorkerProcess, api_settings, worker_env


@pytest.fixture(scope="module")
def api(
    redis_server: RedisServer, embedder: LocalEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    redis_server.client().flushall()
    server = ApiServer(api_settings(redis_server.url, tmp_path_factory.mktemp("data")), embedder)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker(api: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    process = WorkerProcess(worker_env(api), tmp_path_factory.mktemp("logs") / "worker.log")
    process.wait_ready(api.settings.redis_url)
    yield process
    process.stop()
