"""Embeddings: the real local model, the cache, and the Ollama / OpenAI providers against a
server that speaks their HTTP APIs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from shield.config import WorkerSettings
from shield.embeddings import Embedder, build_embedder
from shield.embeddings.base import Vectors
from shield.embeddings.cache import CachedEmbedder
from shield.embeddings.local import LocalEmbedder
from shield.embeddings.remote import OllamaEmbedder, OpenAIEmbedder
from shield.errors import DependencyUnavailable
from support.fakes.embedding_server import DIMENSION, FakeEmbeddingServer, fake_vector


def test_local_model_gives_unit_vectors_that_capture_meaning(embedder: LocalEmbedder) -> None:
    vectors = embedder.embed(
        ["The cat sat on the mat.", "A kitten rested on the rug.", "Quarterly tax filing rules."]
    )
    assert vectors.shape == (3, 384)
    assert embedder.dimension == 384
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.3


class CountingEmbedder(Embedder):
    """Records which texts reach the model, to observe the cache from outside."""

    model_name = "counting"

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seen: list[str] = []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.seen.extend(texts)
        return self.inner.embed(texts)


def test_cache_hit_miss_and_eviction(embedder: LocalEmbedder) -> None:
    counting = CountingEmbedder(embedder)
    cache = CachedEmbedder(counting, maxsize=2)
    first = cache.embed(["alpha", "beta"])
    assert counting.seen == ["alpha", "beta"]  # misses reach the model
    again = cache.embed(["beta", "alpha"])
    assert counting.seen == ["alpha", "beta"]  # hits do not
    assert np.array_equal(again, first[::-1])
    cache.embed(["gamma"])  # evicts the least recently used ("beta")
    assert len(cache) == 2
    cache.embed(["alpha", "beta"])
    assert counting.seen == ["alpha", "beta", "gamma", "beta"]
    assert cache.embed([]).shape == (0, 384)


def test_the_threads_setting_bounds_the_local_models_cpu_threads() -> None:
    import torch

    before = torch.get_num_threads()
    wanted = 1 if before > 1 else 2  # a value that differs from torch's own
    try:
        settings = WorkerSettings(embedding_threads=wanted, embedding_cache_size=0)
        embedder = build_embedder(settings, "unit")
        assert torch.get_num_threads() == wanted
        assert embedder.embed(["one sentence"]).shape == (1, 384)
    finally:
        torch.set_num_threads(before)  # the setting is the whole process's


@pytest.fixture
def fake_server() -> Iterator[FakeEmbeddingServer]:
    server = FakeEmbeddingServer()
    yield server
    server.stop()


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_remote_providers_speak_their_api(fake_server: FakeEmbeddingServer, provider: str) -> None:
    fake_server.api_key = "remote-key-123456789"
    settings = WorkerSettings(
        embedding_provider=provider,
        embedding_model="nomic-embed-text",
        embedding_url=fake_server.url,
        embedding_api_key="remote-key-123456789",
        embedding_batch_size=2,
        embedding_cache_size=0,
    )
    remote = build_embedder(settings, "unit")
    assert isinstance(remote, OllamaEmbedder if provider == "ollama" else OpenAIEmbedder)
    texts = ["one", "two", "three"]
    vectors = remote.embed(texts)
    assert vectors.shape == (3, DIMENSION)
    expected = np.asarray([fake_vector(t) for t in texts])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-6)  # right order, normalised
    assert [len(r["body"]["input"]) for r in fake_server.requests] == [2, 1]  # batched
    assert {r["body"]["model"] for r in fake_server.requests} == {"nomic-embed-text"}
    assert fake_server.requests[0]["auth"] == "Bearer remote-key-123456789"
    assert remote.dimension == DIMENSION
    remote.close()


def test_remote_failures_retry_then_open_the_breaker(fake_server: FakeEmbeddingServer) -> None:
    remote = OllamaEmbedder(fake_server.url, "m", timeout=2, batch_size=8, service="unit-fail")
    fake_server.fail_with = 503
    for _ in range(5):
        with pytest.raises(DependencyUnavailable, match="503"):
            remote.embed(["x"])
    # Each call tried 3 times; after 5 failed calls the breaker opened...
    assert len(fake_server.requests) == 15
    with pytest.raises(DependencyUnavailable, match="circuit open") as excinfo:
        remote.embed(["x"])
    assert excinfo.value.retry_after > 0
    assert len(fake_server.requests) == 15  # ...and now nothing reaches the server
    remote.close()
