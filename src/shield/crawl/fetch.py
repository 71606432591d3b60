"""Crawl4AI's HTTP strategy with Shield's egress guard and limits.

Crawl4AI's own HTTP strategy fetches whatever it is given (loopback, private addresses,
`file://`), follows redirects unchecked and reads responses whole. This subclass keeps its
interface (so `AsyncWebCrawler` drives it and extracts the page) and replaces the fetch:

- aiohttp resolves host names only through `GuardedResolver`, which checks every address and
  hands aiohttp the checked ones to connect to (no second lookup, no DNS-rebinding window);
- literal addresses and every redirect hop go through `EgressPolicy.check_url`;
- only http and https; responses are streamed and cut at the size limit; only HTML and text
  content types are read as pages (others are reported, not downloaded).
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from crawl4ai.async_configs import CrawlerRunConfig
from crawl4ai.async_crawler_strategy import AsyncHTTPCrawlerStrategy
from crawl4ai.models import AsyncCrawlResponse

from shield import __version__
from shield.errors import ShieldError
from shield.net.egress import EgressPolicy

USER_AGENT = f"ShieldBot/{__version__} (+self-hosted knowledge platform)"
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", "text/markdown"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
NOT_MODIFIED = 304


class PageRefused(ShieldError):
    """A page that was not read, with the reason: its kind says which limit said no."""

    status_code = 422
    code = "page_refused"

    def __init__(self, kind: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message, kind=kind)
        self.kind = kind
        self.http_status = http_status  # what the site answered, when it answered


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver: every address checked; aiohttp connects to what this returns."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await asyncio.to_thread(self.policy.resolve, host, port)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None


@dataclass
class FetchLimits:
    timeout: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5


@dataclass
class FetchRecord:
    """What the strategy saw for one URL: the truth about the fetch, whatever the extractor
    later thinks of the page."""

    url: str
    final_url: str = ""
    status_code: int | None = None
    content_type: str = ""
    bytes: int = 0
    redirects: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: ShieldError | None = None  # why it was not read (Crawl4AI keeps only the text)
    etag: str | None = None  # the page's validators, for a later conditional request
    last_modified: str | None = None


@dataclass(frozen=True)
class Validators:
    """What a page answered last time, sent back so that an unchanged page answers 304."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


class GuardedHTTPStrategy(AsyncHTTPCrawlerStrategy):  # type: ignore[misc]
    _session: aiohttp.ClientSession | None

    def __init__(
        self, policy: EgressPolicy, limits: FetchLimits, max_connections: int = 16
    ) -> None:
        super().__init__(max_connections=max_connections)
        self.policy = policy
        self.limits = limits
        self.records: dict[str, FetchRecord] = {}
        # Pages read before (a source's last sync): asked for only if they changed.
        self.validators: dict[str, Validators] = {}

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections,
                resolver=GuardedResolver(self.policy),
                use_dns_cache=False,  # a cached answer would skip the check on a later hop
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT, "Accept": "text/html,text/plain;q=0.9"},
                trust_env=False,  # a proxy from the environment would bypass the guard
                auto_decompress=True,
            )

    async def crawl(
        self, url: str, config: CrawlerRunConfig | None = None, **kwargs: Any
    ) -> AsyncCrawlResponse:
        record = FetchRecord(url=url)
        self.records[url] = record
        started = time.monotonic()
        try:
            return await asyncio.wait_for(self._fetch(url, record), self.limits.timeout)
        except TimeoutError:
            record.error = PageRefused(
                "timeout", f"{url} did not load within {self.limits.timeout:g} s"
            )
            raise record.error from None
        except ShieldError as exc:
            record.error = exc
            raise
        finally:
            record.seconds = time.monotonic() - started

    async def _fetch(self, url: str, record: FetchRecord) -> AsyncCrawlResponse:
        await self.start()
        assert self._session is not None
        current = url
        known = self.validators.get(url)
        for _hop in range(self.limits.max_redirects + 1):
            self.policy.check_url(current)
            headers = known.headers() if known and current == url else {}
            try:
                async with self._session.get(
                    current, allow_redirects=False, headers=headers
                ) as response:
                    record.status_code = response.status
                    if response.status == NOT_MODIFIED and headers:
                        raise PageRefused("not_modified", f"{url} has not changed")
                    record.etag = response.headers.get("ETag")
                    record.last_modified = response.headers.get("Last-Modified")
                    if response.status in REDIRECTS and "Location" in response.headers:
                        record.redirects.append(current)
                        current = urljoin(current, response.headers["Location"])
                        continue
                    record.final_url = current
                    return await self._page(response, current, record)
            except aiohttp.ClientError as exc:
                raise PageRefused(
                    "fetch_failed", f"{current} could not be fetched: {exc}"
                ) from None
        raise PageRefused(
            "redirects", f"{url} redirects more than {self.limits.max_redirects} times"
        )

    async def fetch_text(
        self, url: str, max_bytes: int = 2 * 1024 * 1024
    ) -> tuple[int | None, str]:
        """A small resource (robots.txt, a sitemap) as text: (status, text), or (None, "") when
        it could not be fetched at all. Redirects are followed and checked like pages'; the
        egress guard's refusal is raised (EgressRefused), as for pages."""
        await self.start()
        assert self._session is not None
        current = url
        try:
            for _hop in range(self.limits.max_redirects + 1):
                self.policy.check_url(current)
                async with asyncio.timeout(self.limits.timeout):
                    async with self._session.get(current, allow_redirects=False) as response:
                        if response.status in REDIRECTS and "Location" in response.headers:
                            current = urljoin(current, response.headers["Location"])
                            continue
                        data = await response.content.read(max_bytes + 1)
                        if len(data) > max_bytes:
                            return None, ""
                        return response.status, data.decode("utf-8", errors="replace")
        except (aiohttp.ClientError, TimeoutError):
            return None, ""  # a refusal of the egress guard is not this: it propagates
        return None, ""

    async def fetch_raw(self, url: str) -> tuple[int, dict[str, str], bytes]:
        """One request, redirects not followed (the browser follows them, asking again): for
        the browser engine, which has Shield fetch everything it loads."""
        self.policy.check_url(url)
        await self.start()
        assert self._session is not None
        try:
            async with asyncio.timeout(self.limits.timeout):
                async with self._session.get(url, allow_redirects=False) as response:
                    body = await response.content.read(self.limits.max_bytes + 1)
                    if len(body) > self.limits.max_bytes:
                        raise PageRefused(
                            "too_large",
                            f"{url} is larger than the page limit of {self.limits.max_bytes} "
                            "bytes (SHIELD_CRAWL_MAX_PAGE_BYTES)",
                        )
                    return response.status, dict(response.headers), body
        except TimeoutError:
            raise PageRefused(
                "timeout", f"{url} did not load within {self.limits.timeout:g} s"
            ) from None
        except aiohttp.ClientError as exc:
            raise PageRefused("fetch_failed", f"{url} could not be fetched: {exc}") from None

    async def _page(
        self, response: aiohttp.ClientResponse, url: str, record: FetchRecord
    ) -> AsyncCrawlResponse:
        if response.status >= 500:
            raise PageRefused(
                "server_error", f"{url} answered HTTP {response.status}", response.status
            )
        if response.status >= 400:
            raise PageRefused(
                "http_error", f"{url} answered HTTP {response.status}", response.status
            )
        content_type = (response.content_type or "").lower()
        record.content_type = content_type
        if content_type not in PAGE_TYPES:
            raise PageRefused(
                "content_type", f"{url} is {content_type or 'of no type'}, not a page"
            )
        declared = response.content_length
        if declared is not None and declared > self.limits.max_bytes:
            raise PageRefused(
                "too_large",
                f"{url} is {declared} bytes, larger than the page limit of "
                f"{self.limits.max_bytes} (SHIELD_CRAWL_MAX_PAGE_BYTES)",
            )
        body = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            body.extend(chunk)
            if len(body) > self.limits.max_bytes:
                raise PageRefused(
                    "too_large",
                    f"{url} is larger than the page limit of {self.limits.max_bytes} bytes "
                    "(SHIELD_CRAWL_MAX_PAGE_BYTES)",
                )
        record.bytes = len(body)
        try:
            text = bytes(body).decode(response.charset or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            text = bytes(body).decode("utf-8", errors="replace")
        if content_type in ("text/plain", "text/markdown"):
            text = f"<html><body><pre>{_escape(text)}</pre></body></html>"
        return AsyncCrawlResponse(
            html=text,
            response_headers=dict(response.headers),
            status_code=response.status,
            redirected_url=url,
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
