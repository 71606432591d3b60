"""What a source may be (its kind's fields and options, its schedule), how a folder's files are
chosen by globs, and how a sitemap's pages and their lastmod are read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from shield.sources.listing import (
    SourceUnreachable,
    folder_files,
    sitemap_children,
    sitemap_pages,
)
from shield.sources.models import SourceCreate, every_interval


@pytest.mark.parametrize(
    ("text", "interval"),
    [("1m", timedelta(minutes=1)), ("30m", timedelta(minutes=30)), (" 6h ", timedelta(hours=6)),
     ("1d", timedelta(days=1)), ("90s", timedelta(seconds=90))],
)  # fmt: skip
def test_every_reads_a_number_and_a_unit(text: str, interval: timedelta) -> None:
    assert every_interval(text) == interval


@pytest.mark.parametrize(
    ("text", "says"),
    [("30s", "at least 1m"), ("400d", "at most 366d"), ("6 hours", "like 30m, 6h or 1d"),
     ("", "like 30m")],
)  # fmt: skip
def test_every_refuses_what_is_no_interval(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        every_interval(text)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"kind": "web"}, "a web source has a url"),
        ({"kind": "folder", "url": "https://a.example/"}, "a folder source has a path"),
        ({"kind": "sitemap", "url": "https://a.example/s.xml", "include": ["*.md"]},
         "include is not an option of a sitemap source"),
        ({"kind": "web", "url": "ftp://a.example/"}, "http"),
        ({"kind": "folder", "path": "../etc"}, "'..'"),
        ({"kind": "folder", "path": "docs", "include": ["/abs/**"]}, "relative to the source"),
        ({"kind": "git", "url": "https://git.example/r.git", "path": "r"}, "either a url or a"),
        ({"kind": "git", "url": "https://git.example/r.git", "branch": "--upload-pack=x"},
         "not a branch name"),
        ({"kind": "web", "url": "https://a.example/", "every": "10s"}, "at least 1m"),
        ({"kind": "web", "url": "https://a.example/", "token": "x"}, "Extra inputs"),
    ],
)  # fmt: skip
def test_a_source_has_what_its_kind_needs_and_nothing_else(
    body: dict[str, object], says: str
) -> None:
    with pytest.raises(ValidationError, match=says):
        SourceCreate.model_validate(body)


def test_a_folders_globs_choose_its_files(tmp_path: Path) -> None:
    for name in ("a.md", "b.txt", "deep/c.md", "drafts/d.md", "deep/drafts/e.md", "f.bin"):
        (tmp_path / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / name).write_text("x")
    chosen = folder_files(tmp_path, "docs", ["**/*.md"], ["drafts/**"], 100)
    assert sorted(f.key for f in chosen) == ["docs/a.md", "docs/deep/c.md", "docs/deep/drafts/e.md"]
    everything = folder_files(tmp_path, "docs", None, None, 100)
    assert len(everything) == 5  # f.bin is no format Shield reads
    assert all(f.mtime_ns > 0 and f.size == 1 for f in everything)
    with pytest.raises(SourceUnreachable, match="cannot be read"):
        folder_files(tmp_path, "gone", None, None, 100)


def test_a_sitemaps_pages_come_with_their_lastmod() -> None:
    text = """<?xml version="1.0" encoding="UTF-8"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>https://a.example/</loc><lastmod>2026-12-01</lastmod></url>
      <url>
        <loc> https://a.example/guide </loc>
      </url>
    </urlset>"""
    pages = sitemap_pages(text)
    assert [(p.url, p.lastmod) for p in pages] == [
        ("https://a.example/", "2026-12-01"),
        ("https://a.example/guide", None),
    ]
    index = "<sitemapindex><sitemap><loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>"
    assert sitemap_children(index) == ["https://a.example/s1.xml"]
    assert sitemap_pages(index) == []
