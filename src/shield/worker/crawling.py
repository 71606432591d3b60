"""A crawl inside a worker: the async crawler runs in its own thread and event loop and hands
pages over one by one, so pages are embedded and stored while the crawl goes on."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from shield.config import WorkerSettings
from shield.crawl.crawler import CrawlOptions, CrawlSummary, Page, SiteCrawler
from shield.crawl.fetch import FetchLimits
from shield.errors import ShieldError
from shield.jobs.requests import CrawlIngest
from shield.logging import get_logger
from shield.net.egress import EgressPolicy

log = get_logger(__name__)


@dataclass
class _Done:
    summary: CrawlSummary | None
    error: BaseException | None


def crawl_options(settings: WorkerSettings, request: CrawlIngest) -> CrawlOptions:
    return CrawlOptions(
        url=request.url,
        allowed_domains=request.allowed_domains,
        max_pages=request.max_pages,
        max_depth=request.max_depth,
        respect_robots=settings.crawl_respect_robots,
        use_sitemaps=settings.crawl_use_sitemaps,
        concurrency=settings.crawl_concurrency,
        per_host_concurrency=settings.crawl_per_host_concurrency,
        per_host_delay=settings.crawl_per_host_delay,
        engine=request.engine or settings.crawl_engine,
        browser_path=settings.crawl_browser_path,
        limits=FetchLimits(
            timeout=settings.crawl_page_timeout, max_bytes=settings.crawl_max_page_bytes
        ),
    )


class CrawlRun:
    """Start with `pages()`; `cancel()` stops it at the next page boundary."""

    def __init__(self, policy: EgressPolicy, options: CrawlOptions) -> None:
        self.crawler = SiteCrawler(policy, options)
        self._pages: queue.Queue[Page | _Done] = queue.Queue(maxsize=64)
        self._cancelled = threading.Event()
        self.summary: CrawlSummary | None = None
        self._thread = threading.Thread(target=self._run, name="crawl", daemon=True)

    def _run(self) -> None:
        async def deliver(page: Page) -> None:
            # The queue is bounded: a crawl never runs far ahead of embedding.
            while not self._cancelled.is_set():
                try:
                    self._pages.put_nowait(page)
                    return
                except queue.Full:
                    await asyncio.sleep(0.05)

        try:
            summary = asyncio.run(self.crawler.crawl(deliver, self._cancelled.is_set))
            self._pages.put(_Done(summary, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the job, which reports it
            self._pages.put(_Done(None, exc))

    def pages(self) -> Iterator[Page]:
        self._thread.start()
        while True:
            item = self._pages.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    if isinstance(item.error, ShieldError):
                        raise item.error
                    raise RuntimeError(f"the crawl failed: {item.error}") from item.error
                self.summary = item.summary
                return
            yield item

    def cancel(self) -> None:
        self._cancelled.set()
        while self._thread.is_alive():
            # Drain, so that a crawl waiting to deliver sees the cancel.
            with contextlib.suppress(queue.Empty):
                self._pages.get(timeout=0.2)
