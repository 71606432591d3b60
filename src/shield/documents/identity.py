"""Stable identities: a document's id comes from its canonical source and collection, a chunk's
point id from the document id and its index. Same source + collection = same document."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid

SHIELD_NAMESPACE = uuid.UUID("7d1b3c8e-5b0a-4f57-9a2e-8f4f2b8f0c11")
MAX_SOURCE_CHARS = 2048


def canonical_source(source: str) -> str:
    """Normalise a caller's source name: NFC, no control characters, trimmed whitespace."""
    text = unicodedata.normalize("NFC", source)
    text = re.sub(r"[\x00-\x1f\x7f]", "", text).strip()
    return re.sub(r"\s+", " ", text)


def document_id(collection: str, source: str) -> str:
    return str(uuid.uuid5(SHIELD_NAMESPACE, f"{collection}\n{canonical_source(source)}"))


def point_id(document_id: str, chunk_index: int) -> str:
    return str(uuid.uuid5(uuid.UUID(document_id), str(chunk_index)))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_source(text: str) -> str:
    """The source of inline text given without one: derived from its content."""
    return f"text:{content_hash(text)[:16]}"
