"""The whole platform as processes, each logging at DEBUG into its own file, with a secret for
every place one can hide: Redis's password in its URL, the API's, shield-lightrag's and
shield-mcp's tokens, and the keys of the embedding API, the Qdrant server and the LLM. Each
service logs its effective configuration at DEBUG as it starts, so a secret its settings failed
to register would show there. The worker may fetch one loopback address, 127.0.0.3, and nothing
else."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.mcp import MCP_TOKEN, McpProcess
from support.processes import RedisServer
from support.services import TOKEN, ApiProcess, GraphProcess, WorkerProcess, process_env

REDIS_PASSWORD = "redis-password-5f0c2b9d41e7"
ALLOWLISTED = "127.0.0.3"  # an intranet site the worker may crawl; the rest of loopback is not
# Secrets the services hold but this stack never sends anywhere (the embedder is local, the
# store embedded, no LLM): set all the same, so that every secret setting is searched for.
UNUSED_SECRETS = {
    "SHIELD_EMBEDDING_API_KEY": "embedding-key-6a1f0c93d2b8",
    "SHIELD_QDRANT_API_KEY": "qdrant-key-3e9b7d21c4f0",
    "SHIELD_LLM_API_KEY": "llm-key-8c2d4f6a0b1e",
}
SECRETS = {
    "the Redis password": REDIS_PASSWORD,
    "the API token": TOKEN,
    "the MCP token": MCP_TOKEN,
    "the shield-lightrag token": GraphProcess.token,
    **{f"the value of {name}": value for name, value in UNUSED_SECRETS.items()},
}


@dataclass
class Stack:
    redis: RedisServer
    graph: GraphProcess
    api: ApiProcess
    worker: WorkerProcess
    mcp: McpProcess
    log_dir: Path

    def logs(self) -> dict[str, str]:
        return {p.name: p.read_text(errors="replace") for p in sorted(self.log_dir.iterdir())}


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("logs")
    data = tmp_path_factory.mktemp("data")
    redis = RedisServer(tmp_path_factory.mktemp("redis"), password=REDIS_PASSWORD)
    graph = GraphProcess(
        tmp_path_factory.mktemp("graph"),
        logs / "lightrag.log",
        SHIELD_LOG_LEVEL="DEBUG",
        **UNUSED_SECRETS,
    )
    common = process_env(
        redis.url,
        data,
        log_level="DEBUG",
        SHIELD_LIGHTRAG_URL=graph.url,
        SHIELD_LIGHTRAG_TOKEN=graph.token,
        SHIELD_JOB_HEARTBEAT_SECONDS="3",
        **UNUSED_SECRETS,
    )
    api = ApiProcess(common, logs / "api.log")
    worker = WorkerProcess(
        {**common, "SHIELD_API_URL": api.url, "SHIELD_CRAWL_ALLOWLIST": ALLOWLISTED},
        logs / "worker.log",
    )
    worker.wait_ready(redis.url)
    mcp = McpProcess(api, logs / "mcp.log", SHIELD_LOG_LEVEL="DEBUG")
    yield Stack(redis, graph, api, worker, mcp, logs)
    mcp.stop()
    worker.stop()
    api.stop()
    graph.stop()
    redis.stop()
