"""What a source holds now, listed cheaply (names and what tells a change, no content): a
folder's files, a sitemap's pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from wcmatch import glob

from shield.documents.inbox import inbox_files
from shield.errors import ShieldError

_URL = re.compile(r"<url>(.*?)</url>", re.IGNORECASE | re.DOTALL)
_SITEMAP = re.compile(r"<sitemap>(.*?)</sitemap>", re.IGNORECASE | re.DOTALL)
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)
_LASTMOD = re.compile(r"<lastmod>\s*([^<\s]+)\s*</lastmod>", re.IGNORECASE)
GLOB_FLAGS = glob.GLOBSTAR | glob.DOTMATCH | glob.NODIR


class SourceUnreachable(ShieldError):
    """The source could not be listed (gone, unreadable, down): a sync removes nothing."""

    status_code = 502
    code = "source_unreachable"


@dataclass(frozen=True)
class FolderFile:
    key: str  # its path relative to the inbox: the document's source
    path: Path
    mtime_ns: int
    size: int


def folder_files(
    inbox: Path | None,
    folder: str,
    include: list[str] | None,
    exclude: list[str] | None,
    max_files: int,
) -> list[FolderFile]:
    """The folder's files of a supported format that the globs keep (relative to the folder),
    with their modification time and size."""
    try:
        found = inbox_files(inbox, folder, max_files)
    except ShieldError as exc:
        raise SourceUnreachable(f"the folder {folder!r} cannot be read: {exc.message}") from None
    base = folder.rstrip("/")
    files = []
    for key, path in found:
        inside = key[len(base) + 1 :] if base not in ("", ".") else key
        if include and not glob.globmatch(inside, include, flags=GLOB_FLAGS):
            continue
        if exclude and glob.globmatch(inside, exclude, flags=GLOB_FLAGS):
            continue
        stat = path.stat()
        files.append(FolderFile(key, path, stat.st_mtime_ns, stat.st_size))
    return files


@dataclass(frozen=True)
class SitemapPage:
    url: str
    lastmod: str | None


def sitemap_pages(text: str) -> list[SitemapPage]:
    """A sitemap's pages with their `<lastmod>` (a sitemap index's: see `sitemap_children`)."""
    pages = []
    for block in _URL.findall(text):
        loc = _LOC.search(block)
        if loc:
            lastmod = _LASTMOD.search(block)
            pages.append(SitemapPage(loc.group(1), lastmod.group(1) if lastmod else None))
    return pages


def sitemap_children(text: str) -> list[str]:
    """The sitemaps a sitemap index lists (none for a plain sitemap)."""
    return [loc.group(1) for block in _SITEMAP.findall(text) if (loc := _LOC.search(block))]
