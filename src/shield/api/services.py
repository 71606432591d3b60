"""What the API's routes work with, built once at start-up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

import redis
import redis.asyncio as aioredis
from redis import Redis

from shield.access.authenticator import Authenticator
from shield.access.tokens import TokenStore, TokenTable
from shield.config import ApiSettings
from shield.documents.chunking import Chunker
from shield.documents.index import DocumentIndex
from shield.embeddings import Embedder, build_embedder
from shield.errors import DependencyUnavailable
from shield.graph.backlog import GraphBacklog
from shield.graph.client import LightragClient
from shield.jobs.queue import JobQueue
from shield.jobs.store import JobStore
from shield.resilience import Breaker
from shield.sources.store import SourceStore
from shield.vectorstore import VectorStore, open_vector_store

STREAM_BLOCK_SECONDS = 10
P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Services:
    settings: ApiSettings
    redis: Redis
    aredis: aioredis.Redis
    redis_breaker: Breaker
    jobs: JobStore
    queue: JobQueue
    store: VectorStore
    embedder: Embedder
    index: DocumentIndex
    chunker: Chunker
    lightrag: LightragClient
    graph_backlog: GraphBacklog
    tokens: TokenStore
    authenticator: Authenticator
    sources: SourceStore
    # Collections being reindexed by this process, and by which job.
    reindexing: dict[str, str] = field(default_factory=dict)
    reindexing_guard: threading.Lock = field(default_factory=threading.Lock)
    # Held by the graph feeder while it sends a batch, and by a backup or restore throughout.
    graph_feed_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls,
        settings: ApiSettings,
        store: VectorStore | None = None,
        embedder: Embedder | None = None,
    ) -> Services:
        sync_redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=settings.redis_timeout,
            socket_connect_timeout=settings.redis_timeout,
        )
        # Event streams block on XREAD for up to STREAM_BLOCK_SECONDS: allow for it.
        async_redis = aioredis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=settings.redis_timeout,
            socket_timeout=STREAM_BLOCK_SECONDS + settings.redis_timeout,
        )
        jobs = JobStore(sync_redis, settings.job_ttl_seconds)
        store = store or open_vector_store(settings)
        embedder = embedder or build_embedder(settings, "api")
        tokens = TokenStore(sync_redis)
        return cls(
            settings=settings,
            redis=sync_redis,
            aredis=async_redis,
            redis_breaker=Breaker("api", "redis"),
            jobs=jobs,
            queue=JobQueue(sync_redis, jobs, settings),
            store=store,
            embedder=embedder,
            index=DocumentIndex(store, embedder, Breaker("api", "vector_store")),
            chunker=Chunker(),
            lightrag=LightragClient.from_settings(
                settings, "api", insert_timeout=settings.lightrag_insert_timeout
            ),
            graph_backlog=GraphBacklog(sync_redis),
            tokens=tokens,
            authenticator=Authenticator(settings.api_token, TokenTable(tokens)),
            sources=SourceStore(sync_redis),
        )

    def call_redis(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a Redis operation behind the Redis breaker, as a clear 503 when Redis is down."""
        try:
            return self.redis_breaker.call(fn, *args, **kwargs)
        except redis.RedisError as exc:
            raise DependencyUnavailable("redis", f"Redis is unavailable: {exc}") from exc

    def close(self) -> None:
        self.lightrag.close()
        self.store.close()
        self.embedder.close()
        self.redis.close()
