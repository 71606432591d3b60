"""Which links a crawl follows: exact origins, canonical URLs, depth and page limits.

An origin is scheme, host and port together: `https://docs.example.com` does not admit
`http://docs.example.com` or `https://docs.example.com:8443`. Every URL is canonicalised before
it is compared or queued, so one page is fetched once however it is spelled.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shield.net.urls import DEFAULT_PORTS, canonical_url

MAX_URL_CHARS = 2048
MAX_SKIPS_LISTED = 500  # beyond it, skips are only counted


def origin(url: str) -> str:
    """`scheme://host[:port]`, the port only when it is not the scheme's default."""
    parts = urlsplit(canonical_url(url))
    return f"{parts.scheme}://{parts.netloc}"


def allowed_origins(start_url: str, allowed: list[str] | None) -> frozenset[str]:
    """The start page's origin, plus each allowed entry: a full origin (`https://a.b:8443`) or
    a bare host (`a.b`, `a.b:8080`), which takes the start page's scheme."""
    scheme = urlsplit(start_url).scheme.lower()
    origins = {origin(start_url)}
    for raw in allowed or []:
        entry = raw.strip()
        if entry:
            origins.add(origin(entry if "://" in entry else f"{scheme}://{entry}"))
    return frozenset(origins)


@dataclass
class Skipped:
    url: str
    reason: str


@dataclass
class Frontier:
    """Breadth first: every page of depth d is handed out before any of depth d + 1."""

    origins: frozenset[str]
    max_pages: int
    max_depth: int
    seen: set[str] = field(default_factory=set)
    queue: deque[tuple[str, int]] = field(default_factory=deque)
    skipped: list[Skipped] = field(default_factory=list)
    skip_counts: dict[str, int] = field(default_factory=dict)
    handed_out: int = 0

    def skip(self, url: str, kind: str, reason: str) -> None:
        self.skip_counts[kind] = self.skip_counts.get(kind, 0) + 1
        if len(self.skipped) < MAX_SKIPS_LISTED:
            self.skipped.append(Skipped(url, reason))

    def add(self, url: str, depth: int) -> bool:
        """Queue a URL unless it was seen, leaves the origins, or goes too deep."""
        if len(url) > MAX_URL_CHARS:
            return False
        try:
            canonical = canonical_url(url)
            url_origin = origin(canonical)
        except ValueError:
            return False
        if urlsplit(canonical).scheme not in DEFAULT_PORTS or canonical in self.seen:
            return False
        self.seen.add(canonical)
        if url_origin not in self.origins:
            self.skip(canonical, "other_origin", f"outside the allowed origins ({url_origin})")
            return False
        if depth > self.max_depth:
            return False  # not recorded: a crawl's edge is not an event worth a line each
        self.queue.append((canonical, depth))
        return True

    @property
    def truncated(self) -> bool:
        """Pages were left unread: the crawl reached `max_pages` first."""
        return bool(self.queue) and self.handed_out >= self.max_pages

    def next(self) -> tuple[str, int] | None:
        if not self.queue or self.handed_out >= self.max_pages:
            return None
        self.handed_out += 1
        return self.queue.popleft()
