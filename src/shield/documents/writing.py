"""From a document's text, or a converted file's passages, to the write that stores it: one way
for the worker's pipeline and for `POST /store`, so that a text stored either way is the same
document (same passages, same hash, same fields)."""

from __future__ import annotations

from collections.abc import Sequence

from shield.documents.chunking import Chunker
from shield.documents.conversion import StructuredChunk
from shield.documents.models import ChunkIn, DocumentWrite, SourceDocument
from shield.embeddings.base import Vectors


def text_passages(chunker: Chunker, text: str) -> list[StructuredChunk]:
    """A text's passages (none for a text of only blanks)."""
    return [StructuredChunk(text=piece) for piece in chunker.split(text)]


def embedded(chunks: Sequence[StructuredChunk], vectors: Vectors) -> list[ChunkIn]:
    """Each passage with its vector (the embedder's rows, in order)."""
    return [
        ChunkIn(vector=vector.tolist(), **chunk.model_dump())
        for chunk, vector in zip(chunks, vectors, strict=True)
    ]


def document_write(
    document: SourceDocument,
    embedding_model: str,
    chunks: list[ChunkIn],
    job_id: str | None = None,
) -> DocumentWrite:
    """The whole document as one write: shield-api replaces what the collection held under
    its source with it, in one step."""
    return DocumentWrite(
        source=document.source,
        title=document.title,
        content_hash=document.content_hash,
        embedding_model=embedding_model,
        job_id=job_id,
        metadata=document.metadata,
        source_id=document.source_id,
        chunks=chunks,
    )
