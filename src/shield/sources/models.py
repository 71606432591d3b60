"""A source: something Shield keeps in sync with a collection (a web site, a sitemap, a folder
of the workers' inbox, a Git repository), what a caller sends to make or change one, and what
its last sync did."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shield.documents.inbox import check_relative_path
from shield.fields import CollectionName
from shield.jobs.requests import (
    CRAWL_MAX_ALLOWED_DOMAINS,
    CRAWL_MAX_DEPTH,
    CRAWL_MAX_DEPTH_LIMIT,
    CRAWL_MAX_PAGES,
    CRAWL_MAX_PAGES_LIMIT,
    fetchable,
)

SourceKind = Literal["web", "sitemap", "folder", "git"]
#: Kinds read from a URL; the others from a path in the workers' inbox (git: either).
URL_KINDS = frozenset({"web", "sitemap"})
#: The shortest interval between two scheduled syncs.
MIN_EVERY = timedelta(minutes=1)
#: The longest: a year.
MAX_EVERY = timedelta(days=366)
MAX_GLOBS = 50
#: The most sources Shield keeps, in all.
MAX_SOURCES = 1000

_EVERY = re.compile(r"^\s*(\d{1,6})\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_GIT_REF = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$")

Glob = Annotated[str, Field(min_length=1, max_length=300)]


def every_interval(text: str) -> timedelta:
    """`30m`, `6h`, `1d` (also `90s`) as an interval; ValueError saying what is wrong."""
    found = _EVERY.match(text)
    if not found:
        raise ValueError(f"every must be a number and a unit, like 30m, 6h or 1d; got {text!r}")
    interval = timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    if interval < MIN_EVERY:
        raise ValueError(f"every must be at least 1m; got {text!r}")
    if interval > MAX_EVERY:
        raise ValueError(f"every must be at most 366d; got {text!r}")
    return interval


def _every(value: str | None) -> str | None:
    if value is None:
        return None
    every_interval(value)
    return value.strip()


def _globs(value: list[str] | None) -> list[str] | None:
    for glob in value or []:
        if glob.startswith("/") or ".." in glob.split("/") or "\x00" in glob:
            raise ValueError(f"a glob is relative to the source's folder, without '..': {glob!r}")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceOptions(_Strict):
    """The options of each kind (the others' are refused)."""

    max_pages: int | None = Field(
        default=None,
        ge=1,
        le=CRAWL_MAX_PAGES_LIMIT,
        description=f"web: pages read at most (default {CRAWL_MAX_PAGES}).",
    )
    max_depth: int | None = Field(
        default=None,
        ge=0,
        le=CRAWL_MAX_DEPTH_LIMIT,
        description=f"web: links followed from the start page (default {CRAWL_MAX_DEPTH}).",
    )
    allowed_domains: list[Annotated[str, Field(min_length=1, max_length=300)]] | None = Field(
        default=None,
        max_length=CRAWL_MAX_ALLOWED_DOMAINS,
        description="web: origins links may be followed into, besides the start page's.",
    )
    include: list[Glob] | None = Field(
        default=None,
        max_length=MAX_GLOBS,
        description="folder, git: files to keep, as globs relative to the folder or the "
        "repository (`**/*.md`); default: every file of a supported format.",
    )
    exclude: list[Glob] | None = Field(
        default=None, max_length=MAX_GLOBS, description="folder: files to leave out, as globs."
    )
    branch: str | None = Field(
        default=None, description="git: the branch to follow (default: the repository's own)."
    )

    _include = field_validator("include", "exclude")(_globs)

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str | None) -> str | None:
        if value is not None and not _GIT_REF.match(value):
            raise ValueError(f"not a branch name: {value!r}")
        return value


KIND_OPTIONS: dict[str, frozenset[str]] = {
    "web": frozenset({"max_pages", "max_depth", "allowed_domains"}),
    "sitemap": frozenset({"max_pages", "allowed_domains"}),
    "folder": frozenset({"include", "exclude"}),
    "git": frozenset({"branch", "include"}),
}


class SourceCreate(SourceOptions):
    """`POST /sources`: what to keep in sync, into which collection, how often."""

    kind: SourceKind
    url: str | None = Field(
        default=None,
        max_length=4096,
        description="web: the start page; sitemap: the sitemap; git: the repository's "
        "clone URL (http or https).",
    )
    path: str | None = Field(
        default=None,
        max_length=1024,
        description="folder: a folder inside the workers' inbox (SHIELD_INBOX_DIR), relative "
        "to it; git: a repository inside the inbox.",
    )
    collection: CollectionName | None = None
    every: str | None = Field(
        default=None,
        description="How often it syncs by itself: `30m`, `6h`, `1d` (at least `1m`). Absent: "
        "only when asked (`POST /sources/{source_id}/sync`).",
    )
    prune: bool = Field(
        default=True,
        description="Documents whose page or file is gone from the source are removed from "
        "the collection and the graph.",
    )
    name: str | None = Field(default=None, max_length=200, description="A name to show.")

    _every = field_validator("every")(_every)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else fetchable(value)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return None if value is None else check_relative_path(value)

    @model_validator(mode="after")
    def _fits_kind(self) -> SourceCreate:
        if self.kind in URL_KINDS and (self.url is None or self.path is not None):
            raise ValueError(f"a {self.kind} source has a url, and no path")
        if self.kind == "folder" and (self.path is None or self.url is not None):
            raise ValueError("a folder source has a path (inside the inbox), and no url")
        if self.kind == "git" and (self.url is None) == (self.path is None):
            raise ValueError("a git source has either a url or a path (inside the inbox)")
        extra = _given_options(self) - KIND_OPTIONS[self.kind]
        if extra:
            raise ValueError(f"{', '.join(sorted(extra))} is not an option of a {self.kind} source")
        return self


def _given_options(options: SourceOptions) -> set[str]:
    return {name for name in SourceOptions.model_fields if getattr(options, name) is not None}


class SourceUpdate(SourceOptions):
    """`PATCH /sources/{source_id}`: the fields to change (kind, url, path and collection stay:
    a different place is a different source). `every: null` stops its schedule."""

    every: str | None = None
    prune: bool | None = None
    name: str | None = Field(default=None, max_length=200)

    _every = field_validator("every")(_every)


class SyncRequest(_Strict):
    """`POST /sources/{source_id}/sync`'s optional body."""

    force: bool = Field(
        default=False,
        description="Remove what is gone from the source even past the share one sync may "
        "remove at once (SHIELD_SOURCE_MAX_REMOVE_SHARE): after a real reorganisation.",
    )


class SyncSummary(BaseModel):
    """What a sync did: its job, when, how it ended, and what it found."""

    job_id: str
    started_at: str | None = None
    ended_at: str | None = None
    status: str = "queued"
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    error: str | None = None
    commit: str | None = Field(default=None, description="git: the commit the sync read.")


class Source(SourceOptions):
    """A source as Shield keeps it and answers it."""

    source_id: str
    kind: SourceKind
    url: str | None = None
    path: str | None = None
    collection: str
    every: str | None = None
    prune: bool = True
    name: str | None = None
    created_at: str
    updated_at: str
    documents: int = Field(default=0, description="Documents the source keeps now.")
    last_sync: SyncSummary | None = None
    last_success_at: str | None = Field(
        default=None, description="When a sync last succeeded (ended without failing)."
    )
    next_sync_at: str | None = Field(
        default=None, description="When it syncs next by itself; null: only when asked."
    )
    syncing: str | None = Field(default=None, description="The job of the sync running now.")

    def options(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in sorted(_given_options(self))}


class SourceList(BaseModel):
    sources: list[Source]


class SourceDeleted(BaseModel):
    deleted: str
    documents_deleted: int = Field(description="Documents removed with it (`documents=delete`).")
