"""The breadth-first crawl: Crawl4AI fetches (through the guarded strategy) and extracts clean
Markdown; this module decides the order, the limits and what each page's outcome was.

Concurrency is bounded overall and per host, with an optional pause between requests to the
same host. Each host has its own circuit breaker: after repeated connection failures, timeouts
or server errors its remaining pages are skipped instead of waited for. Every page the crawl
considered ends in the result with an honest status: `fetched` (then stored by the pipeline),
`skipped` with the reason (robots.txt, the egress guard, not a page, too large, a host circuit
open, a duplicate) or `failed` with the error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from crawl4ai import AsyncWebCrawler, CacheMode, CrawlerRunConfig
from crawl4ai.async_configs import BrowserConfig
from crawl4ai.content_filter_strategy_lxml import PruningContentFilterLXML
from crawl4ai.markdown_generation_strategy import DefaultMarkdownGenerator

from shield.crawl.fetch import FetchLimits, GuardedHTTPStrategy, PageRefused, Validators
from shield.crawl.frontier import Frontier, allowed_origins, origin
from shield.crawl.robots import RobotsRules, sitemap_urls
from shield.errors import ShieldError
from shield.logging import get_logger
from shield.net.egress import EgressPolicy, EgressRefused
from shield.net.urls import canonical_url
from shield.resilience import Breaker

log = get_logger(__name__)
HOST_FAILURES = frozenset({"fetch_failed", "timeout", "server_error"})
# What a refused page is reported as: not fetched on purpose (skipped) or tried and failed.
SKIP_KINDS = frozenset({"content_type", "too_large", "redirects", "http_error"})


@dataclass
class CrawlOptions:
    url: str
    allowed_domains: list[str] | None = None
    max_pages: int = 50
    max_depth: int = 2
    respect_robots: bool = True
    use_sitemaps: bool = True
    concurrency: int = 8
    per_host_concurrency: int = 4
    per_host_delay: float = 0.0
    limits: FetchLimits = field(default_factory=FetchLimits)
    engine: str = "http"  # or "browser": the system's Chromium renders each page
    browser_path: str = "chromium"
    # A source's sync: the pages it read last time (asked for only if they changed; an
    # unchanged page's links are followed as they were), and the pages to start from instead
    # of `url` (a sitemap's).
    known: dict[str, KnownPage] = field(default_factory=dict)
    seeds: list[str] | None = None


@dataclass(frozen=True)
class KnownPage:
    validators: Validators
    links: tuple[str, ...] = ()


@dataclass
class Page:
    url: str
    depth: int
    status: str  # fetched | unchanged (a 304 to a conditional request) | skipped | failed
    reason: str = ""
    title: str = ""
    markdown: str = ""
    status_code: int | None = None
    validators: Validators = field(default_factory=Validators)
    links: tuple[str, ...] = ()  # the links it holds, as the crawl could follow them


@dataclass
class CrawlSummary:
    pages: list[Page] = field(default_factory=list)
    discovered: int = 0
    skip_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    truncated: bool = False  # pages left unread at the page limit (or by a cancel)


def _host_failure(_type: type[BaseException], exc: BaseException) -> bool:
    return isinstance(exc, PageRefused) and exc.kind in HOST_FAILURES


class _Host:
    def __init__(self, name: str, options: CrawlOptions) -> None:
        self.slots = asyncio.Semaphore(options.per_host_concurrency)
        self.delay = options.per_host_delay
        self.last_request = 0.0
        self.breaker = Breaker("crawl", name, is_failure=_host_failure, register=False)

    async def polite(self) -> None:
        if self.delay:
            wait = self.last_request + self.delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.last_request = time.monotonic()


class SiteCrawler:
    def __init__(self, policy: EgressPolicy, options: CrawlOptions) -> None:
        self.policy = policy
        self.options = options
        self.strategy = GuardedHTTPStrategy(policy, options.limits, options.concurrency)
        self.strategy.validators = {url: page.validators for url, page in options.known.items()}
        # One page at a time in the browser: measured the reliable setting with Chromium.
        self.concurrency = 1 if options.engine == "browser" else options.concurrency
        self.robots = RobotsRules(self.strategy)
        self.frontier = Frontier(
            allowed_origins(options.url, options.allowed_domains),
            options.max_pages,
            options.max_depth,
        )
        self.hosts: dict[str, _Host] = {}
        self.run_config = CrawlerRunConfig(
            cache_mode=CacheMode.DISABLED,
            page_timeout=int(options.limits.timeout * 1000),  # the browser's navigation
            # Navigation, footers and other boilerplate are pruned: `fit_markdown` is the page.
            markdown_generator=DefaultMarkdownGenerator(
                content_filter=PruningContentFilterLXML(threshold=0.45, threshold_type="dynamic"),
                options={"ignore_images": True, "ignore_links": True},  # link text stays
            ),
            # No `excluded_tags`: Crawl4AI collects links after removing them, and links in
            # navigation are how a crawl finds the site. The content filter drops boilerplate.
            verbose=False,
        )

    def _host(self, url: str) -> _Host:
        name = origin(url)
        if name not in self.hosts:
            self.hosts[name] = _Host(name, self.options)
        return self.hosts[name]

    async def crawl(
        self,
        on_page: Callable[[Page], Awaitable[None]],
        cancelled: Callable[[], bool] = lambda: False,
    ) -> CrawlSummary:
        started = time.monotonic()
        summary = CrawlSummary()
        self.policy.check_url(self.options.url, addresses=False)
        for url in [self.options.url] if self.options.seeds is None else self.options.seeds:
            self.frontier.add(url, 0)
        chromium = None
        page_strategy: Any = self.strategy
        if self.options.engine == "browser":
            from shield.crawl.browser import BrowserStrategy, ChromiumProcess

            chromium = await asyncio.to_thread(ChromiumProcess, self.options.browser_path)
            page_strategy = BrowserStrategy(chromium, self.strategy)
        crawler = AsyncWebCrawler(
            crawler_strategy=page_strategy, config=BrowserConfig(verbose=False)
        )
        try:
            await crawler.start()
            if self.options.use_sitemaps:
                await self._seed_from_sitemaps()
            tasks: set[asyncio.Task[Page]] = set()
            while True:
                while len(tasks) < self.concurrency and not cancelled():
                    item = self.frontier.next()
                    if item is None:
                        break
                    tasks.add(asyncio.create_task(self._page(crawler, *item)))
                if not tasks:
                    break
                done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    page = task.result()
                    summary.pages.append(page)
                    await on_page(page)
        finally:
            await crawler.close()
            await self.strategy.close()
            if chromium is not None:
                chromium.stop()
        summary.discovered = len(self.frontier.seen)
        summary.truncated = self.frontier.truncated or cancelled()
        summary.skip_counts = dict(self.frontier.skip_counts)
        for skipped in self.frontier.skipped:
            summary.pages.append(Page(skipped.url, -1, "skipped", skipped.reason))
        summary.seconds = time.monotonic() - started
        return summary

    async def _seed_from_sitemaps(self) -> None:
        try:
            sitemaps = await self.robots.sitemaps(self.options.url)
        except ShieldError:
            return
        for sitemap in sitemaps[:5]:
            if origin(sitemap) not in self.frontier.origins:
                continue
            for url in await sitemap_urls(self.strategy, sitemap, self.options.max_pages * 4):
                self.frontier.add(url, 1)

    async def _page(self, crawler: AsyncWebCrawler, url: str, depth: int) -> Page:
        host = self._host(url)
        refusal = await self._refusal(url, host)
        if refusal:
            return Page(url, depth, "skipped", refusal)
        async with host.slots:
            await host.polite()
            try:
                result: Any = await host.breaker.call_async(self._arun, crawler, url)
            except PageRefused as exc:
                if exc.kind == "not_modified":
                    return self._unchanged(url, depth)
                status = "skipped" if exc.kind in SKIP_KINDS else "failed"
                return Page(url, depth, status, exc.message, status_code=exc.http_status)
            except EgressRefused as exc:
                return Page(url, depth, "skipped", f"blocked: {exc.message}")
        record = self.strategy.records.pop(url, None)
        final = canonical_url(record.final_url) if record and record.final_url else url
        redirect_problem = self._redirect_problem(url, final)
        if redirect_problem:
            return Page(url, depth, "skipped", redirect_problem)
        links = _links(result)
        for link in links:
            self.frontier.add(link, depth + 1)
        markdown = result.markdown.fit_markdown or result.markdown.raw_markdown or ""
        title = str((result.metadata or {}).get("title") or "")
        status_code = record.status_code if record else None
        validators = Validators(record.etag, record.last_modified) if record else Validators()
        return Page(
            final, depth, "fetched", "", title, markdown, status_code, validators, tuple(links)
        )

    def _unchanged(self, url: str, depth: int) -> Page:
        """A page that answered 304: its links are followed as they were last time."""
        self.strategy.records.pop(url, None)
        known = self.options.known[url]
        for link in known.links:
            self.frontier.add(link, depth + 1)
        return Page(url, depth, "unchanged", "", validators=known.validators, links=known.links)

    async def _refusal(self, url: str, host: _Host) -> str | None:
        """Why a page is not to be fetched at all, if it is not."""
        try:
            if self.options.respect_robots and not await self.robots.allowed(url):
                return "disallowed by robots.txt"
        except EgressRefused as exc:
            return f"blocked: {exc.message}"
        if host.breaker.is_open:
            return f"{origin(url)} failed repeatedly (circuit open)"
        return None

    def _redirect_problem(self, url: str, final: str) -> str | None:
        if final == url:
            return None
        if origin(final) not in self.frontier.origins:
            return f"redirected outside the allowed origins: {final}"
        if final in self.frontier.seen:
            return f"redirected to {final}, crawled already"
        self.frontier.seen.add(final)
        return None

    async def _arun(self, crawler: AsyncWebCrawler, url: str) -> Any:
        result = await crawler.arun(url, config=self.run_config)
        record = self.strategy.records.get(url)
        if record is not None and record.error is not None:
            raise record.error
        if record is not None and record.status_code and record.status_code >= 400:
            kind = "server_error" if record.status_code >= 500 else "http_error"
            code = record.status_code
            raise PageRefused(kind, f"{url} answered HTTP {code}", code)
        # Crawl4AI's anti-bot check marks small pages "blocked"; the fetch says what happened.
        if not result.success and not (record and record.status_code and record.status_code < 300):
            raise PageRefused("fetch_failed", result.error_message or f"{url} failed")
        return result


def _links(result: Any) -> list[str]:
    links = result.links or {}
    return [
        str(link.get("href"))
        for group in ("internal", "external")
        for link in links.get(group, [])
        if link.get("href")
    ]
