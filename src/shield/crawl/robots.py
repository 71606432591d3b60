"""robots.txt and sitemaps, fetched through the same guarded session as the pages.

A site without robots.txt (404) allows everything; one whose robots.txt cannot be read for
another reason (5xx, timeout) is treated as disallowing everything, as RFC 9309 asks.
"""

from __future__ import annotations

import re
from urllib.robotparser import RobotFileParser

from shield.crawl.fetch import USER_AGENT, GuardedHTTPStrategy, PageRefused
from shield.crawl.frontier import origin

ROBOTS_AGENT = "ShieldBot"
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)
MAX_SITEMAP_URLS = 50_000


class RobotsRules:
    def __init__(self, strategy: GuardedHTTPStrategy) -> None:
        self.strategy = strategy
        self._parsers: dict[str, RobotFileParser] = {}

    async def parser(self, url: str) -> RobotFileParser:
        site = origin(url)
        if site not in self._parsers:
            parser = RobotFileParser()
            status, text = await self.strategy.fetch_text(f"{site}/robots.txt")
            if status is not None and 400 <= status < 500:
                parser.parse([])  # no robots.txt: everything is allowed
            elif status is None or status >= 500:
                parser.parse(["User-agent: *", "Disallow: /"])  # unreachable: nothing is
            else:
                parser.parse(text.splitlines())
            parser.modified()  # can_fetch() answers False for a parser never marked read
            self._parsers[site] = parser
        return self._parsers[site]

    async def allowed(self, url: str) -> bool:
        return (await self.parser(url)).can_fetch(ROBOTS_AGENT, url)

    async def sitemaps(self, url: str) -> list[str]:
        """The sitemaps robots.txt names, else `/sitemap.xml`."""
        named = (await self.parser(url)).site_maps() or []
        return named or [f"{origin(url)}/sitemap.xml"]


async def sitemap_urls(strategy: GuardedHTTPStrategy, sitemap: str, limit: int) -> list[str]:
    """Page URLs of a sitemap (and of the sitemaps an index lists, one level deep)."""
    status, text = await strategy.fetch_text(sitemap)
    if status != 200:
        return []
    found = _LOC.findall(text)[:MAX_SITEMAP_URLS]
    if "<sitemapindex" in text[:2000]:
        pages: list[str] = []
        for child in found[:20]:
            child_status, child_text = await strategy.fetch_text(child)
            if child_status == 200:
                pages.extend(_LOC.findall(child_text))
            if len(pages) >= limit:
                break
        return pages[:limit]
    return found[:limit]


__all__ = ["ROBOTS_AGENT", "USER_AGENT", "PageRefused", "RobotsRules", "sitemap_urls"]
