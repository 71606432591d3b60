"""Builds the configured embedder."""

from __future__ import annotations

from shield.config import EmbeddingMixin, secret_value
from shield.embeddings.base import Embedder
from shield.embeddings.cache import CachedEmbedder


def build_embedder(settings: EmbeddingMixin, service: str) -> Embedder:
    inner: Embedder
    key = secret_value(settings.embedding_api_key)
    if settings.embedding_provider == "local":
        from shield.embeddings.local import LocalEmbedder

        inner = LocalEmbedder(
            batch_size=settings.embedding_batch_size, threads=settings.embedding_threads
        )
    else:
        from shield.embeddings.remote import OllamaEmbedder, OpenAIEmbedder

        cls = OllamaEmbedder if settings.embedding_provider == "ollama" else OpenAIEmbedder
        inner = cls(
            settings.embedding_url,
            settings.embedding_model,
            timeout=settings.embedding_timeout,
            batch_size=settings.embedding_batch_size,
            service=service,
            api_key=key,
        )
    if settings.embedding_cache_size:
        return CachedEmbedder(inner, settings.embedding_cache_size)
    return inner
