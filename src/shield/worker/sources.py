"""Where a job's documents come from. Each source kind yields `SourceDocument`s; the pipeline
does not care which kind it was. Inline text is here; files and web pages plug in beside it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shield.documents.identity import canonical_source, text_source
from shield.documents.models import SourceDocument
from shield.errors import InvalidInput


def inline_documents(request: dict[str, Any]) -> Iterator[SourceDocument]:
    text = request["text"]
    source = canonical_source(request.get("source") or "") or text_source(text)
    yield SourceDocument(
        source=source,
        text=text,
        title=request.get("title") or "",
        metadata=request.get("metadata") or {},
    )


def read_documents(request: dict[str, Any]) -> Iterator[SourceDocument]:
    if request.get("kind") == "document" and request.get("text") is not None:
        yield from inline_documents(request)
        return
    raise InvalidInput(f"this worker cannot read a {request.get('kind')!r} job of that shape")
