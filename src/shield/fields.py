"""Field types that the bodies of every Shield service share: collection names, metadata and
search modes."""

from __future__ import annotations

import enum
import json
import re
from typing import Annotated, Any

from pydantic import Field

COLLECTION_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
MAX_METADATA_BYTES = 16_384
MAX_METADATA_KEYS = 64
_METADATA_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class SearchMode(enum.StrEnum):
    HYBRID = "hybrid"  # the lexical and the dense ranking, fused
    DENSE = "dense"  # the embedding model's
    LEXICAL = "lexical"  # BM25's


class Fusion(enum.StrEnum):
    """How a hybrid search merges the two rankings (Qdrant's own fusion queries)."""

    DBSF = "dbsf"  # each ranking's scores normalised by their spread, then summed
    RRF = "rrf"  # reciprocal rank fusion, k = 60


#: Measured on CISI: DBSF 0.454 nDCG@10 over whole documents, RRF 0.439 (docs/BENCHMARKS.md).
DEFAULT_FUSION = Fusion.DBSF


CollectionName = Annotated[
    str,
    Field(
        pattern=COLLECTION_NAME_PATTERN,
        description="Collection to use (letters, digits, - and _; default from configuration).",
    ),
]


def check_metadata(value: dict[str, Any] | None) -> dict[str, Any]:
    """The caller's own fields, kept with every chunk: bounded in keys and size."""
    value = value or {}
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"at most {MAX_METADATA_KEYS} metadata keys")
    for key in value:
        if not _METADATA_KEY.match(key):
            raise ValueError(f"metadata key {key!r} must match {_METADATA_KEY.pattern}")
    if len(json.dumps(value)) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata must be at most {MAX_METADATA_BYTES} bytes as JSON")
    return value


#: A write's way of making the collection it names, when it does not exist yet.
CreateCollection = Annotated[
    bool,
    Field(
        description="Make the collection if it does not exist (a misspelt name is otherwise "
        "refused with 404, naming the collections you may write to)."
    ),
]
