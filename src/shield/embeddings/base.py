"""The embedding interface every provider implements."""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(abc.ABC):
    """Turns texts into unit-length float32 vectors of a fixed dimension."""

    #: Name recorded with every collection built with this embedder.
    model_name: str

    @property
    @abc.abstractmethod
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""

    @abc.abstractmethod
    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed texts in order; returns an array of shape (len(texts), dimension)."""

    def embed_one(self, text: str) -> list[float]:
        return [float(x) for x in self.embed([text])[0]]

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or memory."""


def normalize(vectors: Vectors) -> Vectors:
    """Scale rows to unit length, so cosine similarity is a dot product everywhere."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Vectors = (vectors / norms).astype(np.float32)
    return result
