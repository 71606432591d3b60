"""Chunk vectors on the way from shield-api to shield-lightrag: float32, little-endian, base64.

The vector store already holds an embedding of every chunk the graph takes in, made by the same
model: sending it along spares the graph embedding each chunk a second time. As text, a
384-dimension vector is 2 KB (JSON numbers would take three times that and lose nothing more).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_FLOAT32 = np.dtype("<f4")


@dataclass(frozen=True)
class StoredChunks:
    """A document's chunks as the vector store holds them: texts, and the vectors `model` made."""

    model: str
    texts: list[str]
    vectors: list[list[float]]


def encode_vector(vector: Sequence[float]) -> str:
    return base64.b64encode(np.asarray(vector, dtype=_FLOAT32).tobytes()).decode("ascii")


def decode_vector(text: str, dimension: int) -> npt.NDArray[np.float32]:
    """The vector `text` encodes; ValueError unless it is base64 of `dimension` finite floats."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a vector must be base64 of little-endian float32 values") from exc
    if len(raw) != dimension * _FLOAT32.itemsize:
        raise ValueError(
            f"a vector must have {dimension} dimensions, this one has "
            f"{len(raw) / _FLOAT32.itemsize:g}"
        )
    vector = np.frombuffer(raw, dtype=_FLOAT32).astype(np.float32)
    if not np.isfinite(vector).all():
        raise ValueError("a vector must hold finite numbers only")
    return vector
