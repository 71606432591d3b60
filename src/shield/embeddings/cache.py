"""An in-process LRU cache of embeddings, keyed by model and text hash.

Re-ingesting a changed document re-embeds only its changed chunks, and repeated queries skip
the model entirely.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

import numpy as np
from cachetools import LRUCache

from shield.embeddings.base import Embedder, Vectors
from shield.metrics import EMBEDDING_CACHE


class CachedEmbedder(Embedder):
    def __init__(self, inner: Embedder, maxsize: int) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self._cache: LRUCache[str, Vectors] = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\0{text}".encode()).hexdigest()

    def embed(self, texts: Sequence[str]) -> Vectors:
        keys = [self._key(text) for text in texts]
        found: dict[int, Vectors] = {}
        with self._lock:
            for i, key in enumerate(keys):
                vector = self._cache.get(key)
                if vector is not None:
                    found[i] = vector
        missing = [i for i in range(len(texts)) if i not in found]
        EMBEDDING_CACHE.labels("hit").inc(len(found))
        EMBEDDING_CACHE.labels("miss").inc(len(missing))
        if missing:
            fresh = self.inner.embed([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    found[i] = vector
                    self._cache[keys[i]] = vector
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[i] for i in range(len(texts))]).astype(np.float32)

    def __len__(self) -> int:
        return len(self._cache)

    def close(self) -> None:
        self.inner.close()
