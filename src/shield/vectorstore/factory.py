"""Opens the configured vector store."""

from __future__ import annotations

from shield.config import ApiSettings, secret_value
from shield.vectorstore.base import VectorStore


def open_vector_store(settings: ApiSettings) -> VectorStore:
    """A Qdrant server when SHIELD_QDRANT_URL is set, else the embedded store in the data dir."""
    if settings.qdrant_url:
        from shield.vectorstore.server import QdrantServerStore

        key = secret_value(settings.qdrant_api_key)
        return QdrantServerStore.from_url(
            settings.qdrant_url, key, settings.qdrant_timeout, settings.search_hnsw_ef
        )
    from shield.vectorstore.edge import EdgeVectorStore

    return EdgeVectorStore(settings.data_dir / "collections", settings.search_hnsw_ef)
