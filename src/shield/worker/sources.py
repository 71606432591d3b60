"""Where a job's documents come from: inline text, an uploaded file, a URL, or the inbox.

A job first lists its documents (cheap: names only), so that its result can show every one of
them from the start; each is then loaded when its turn comes. Loading a file checks it the way
shield-api checks uploads: size, content against claimed type, archive expansion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from shield.config import WorkerSettings
from shield.documents.formats import inspect_file
from shield.documents.identity import canonical_source, text_source
from shield.documents.inbox import inbox_files
from shield.documents.models import SourceDocument
from shield.errors import InvalidInput, PayloadTooLarge
from shield.jobs.requests import DocumentIngest, UploadIngest
from shield.jobs.store import JobStore
from shield.net.fetch import GuardedFetcher
from shield.net.urls import canonical_url


@dataclass
class PendingDocument:
    source: str
    load: Callable[[], SourceDocument]


class DocumentReader:
    def __init__(self, settings: WorkerSettings, store: JobStore, fetcher: GuardedFetcher) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher

    def list(self, job_id: str, request: DocumentIngest | UploadIngest) -> list[PendingDocument]:
        title = request.title or ""
        metadata = request.metadata or {}
        if isinstance(request, UploadIngest):
            name = request.upload.filename
            source = request.source or name
            return [
                PendingDocument(
                    source, lambda: self._uploaded(job_id, source, name, title, metadata)
                )
            ]
        if request.text is not None:
            source = canonical_source(request.source or "") or text_source(request.text)
            doc = SourceDocument(source=source, text=request.text, title=title, metadata=metadata)
            return [PendingDocument(source, lambda: doc)]
        if request.url is not None:
            url = canonical_url(request.url)
            return [PendingDocument(url, lambda: self._fetched(url, title, metadata))]
        if request.path is not None:
            files = inbox_files(
                self.settings.inbox_dir, request.path, self.settings.inbox_max_files
            )
            return [
                PendingDocument(source, _inbox_loader(self, source, path, title, metadata))
                for source, path in files
            ]
        raise InvalidInput("the job names no document: give text, url, path or upload a file")

    def _file(
        self, source: str, name: str, data: bytes, media_type: str | None, **fields: Any
    ) -> SourceDocument:
        fmt = inspect_file(
            name,
            data,
            media_type=media_type,
            max_expanded_bytes=self.settings.max_expanded_bytes,
            max_compression_ratio=self.settings.max_compression_ratio,
        )
        return SourceDocument(source=source, data=data, filename=name, format=fmt.name, **fields)

    def _uploaded(
        self, job_id: str, source: str, name: str, title: str, metadata: dict[str, Any]
    ) -> SourceDocument:
        data = self.store.upload(job_id)
        if data is None:
            raise InvalidInput("the uploaded file is no longer stored; upload it again")
        return self._file(source, name, data, None, title=title, metadata=metadata)

    def _fetched(self, url: str, title: str, metadata: dict[str, Any]) -> SourceDocument:
        fetched = self.fetcher.fetch(url)
        name = PurePosixPath(fetched.url.split("?", 1)[0]).name or "index.html"
        return self._file(
            url, name, fetched.data, fetched.content_type, title=title, metadata=metadata
        )

    def read_inbox_file(
        self, source: str, path: Path, title: str, metadata: dict[str, Any]
    ) -> SourceDocument:
        self.check_size(source, path.stat().st_size)
        data = path.read_bytes()
        return self._file(source, path.name, data, None, title=title, metadata=metadata)

    def read_file_bytes(self, source: str, name: str, data: bytes) -> SourceDocument:
        """A file read elsewhere (a Git blob), its format told by its name and bytes."""
        self.check_size(source, len(data))
        return self._file(source, name, data, None)

    def check_size(self, source: str, size: int) -> None:
        if size > self.settings.max_upload_bytes:
            raise PayloadTooLarge(
                f"{source} is {size} bytes; the limit is {self.settings.max_upload_bytes} "
                "(SHIELD_MAX_UPLOAD_BYTES)"
            )


def _inbox_loader(
    reader: DocumentReader, source: str, path: Path, title: str, metadata: dict[str, Any]
) -> Callable[[], SourceDocument]:
    return lambda: reader.read_inbox_file(source, path, title, metadata)
