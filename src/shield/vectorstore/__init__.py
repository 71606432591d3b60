"""The vector store: one interface, an embedded Qdrant engine by default, a Qdrant server by URL."""

from shield.vectorstore.base import (
    CollectionInfo,
    Match,
    PointRecord,
    ScoredRecord,
    StoreError,
    VectorStore,
)
from shield.vectorstore.factory import open_vector_store

__all__ = [
    "CollectionInfo",
    "Match",
    "PointRecord",
    "ScoredRecord",
    "StoreError",
    "VectorStore",
    "open_vector_store",
]
