"""Crawling: pages per second of Shield's crawler (Crawl4AI behind the egress guard) against a
minimal breadth-first crawler written with httpx + trafilatura, on the same generated site of
interlinked pages served on loopback, in the same run; and how much boilerplate (navigation,
footers) each one's Markdown keeps. Goal: ratio >= 0.9, and no boilerplate in ours.

    python -m bench.crawl [--pages 200] [--rounds 3] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import random
import threading
import time
from collections import deque
from typing import Any

import httpx
import lxml.html
import trafilatura

from bench.common import corpus, median, save
from shield.crawl.crawler import CrawlOptions, Page, SiteCrawler
from shield.crawl.fetch import FetchLimits
from shield.net.egress import EgressPolicy
from shield.net.urls import canonical_url

NAV = "Main menu Home Products Support Contact us"
FOOTER = "Copyright 2026 Example Corporation Privacy Terms of use"


def build_site(pages: int, texts: list[str]) -> dict[str, bytes]:
    rng = random.Random(7)
    site: dict[str, bytes] = {}
    for i in range(pages):
        links = {(i + 1) % pages, *(rng.randrange(pages) for _ in range(4))}
        anchors = "".join(f"<li><a href='/page/{j}'>Related topic {j}</a></li>" for j in links)
        paragraphs = "".join(f"<p>{texts[i * 4 + k]}</p>" for k in range(4))
        site[f"/page/{i}"] = (
            f"<!DOCTYPE html><html><head><title>Topic {i}</title></head><body>"
            f"<header><nav><a href='/page/0'>{NAV}</a></nav></header>"
            f"<main><article><h1>Topic {i}</h1>{paragraphs}</article>"
            f"<aside><ul>{anchors}</ul></aside></main>"
            f"<footer>{FOOTER}</footer></body></html>"
        ).encode()
    return site


def serve(site: dict[str, bytes]) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

        def do_GET(self) -> None:
            body = site.get(self.path)
            status = 200 if body is not None else 404
            body = body if body is not None else b"not found"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def shield_crawl(start: str, pages: int, concurrency: int) -> tuple[float, list[str]]:
    options = CrawlOptions(
        url=start,
        max_pages=pages,
        max_depth=1000,
        concurrency=concurrency,
        per_host_concurrency=concurrency,
        limits=FetchLimits(),
    )
    crawler = SiteCrawler(EgressPolicy.from_allowlist(["127.0.0.1"]), options)
    markdowns: list[str] = []

    async def collect(page: Page) -> None:
        if page.status == "fetched":
            markdowns.append(page.markdown)

    started = time.perf_counter()
    await crawler.crawl(collect)
    return len(markdowns) / (time.perf_counter() - started), markdowns


async def baseline_crawl(start: str, pages: int, concurrency: int) -> tuple[float, list[str]]:
    """The minimal crawler: breadth first, same origin, httpx + trafilatura, no safety."""
    origin = start.rsplit("/page/", 1)[0]
    seen = {start}
    queue: deque[str] = deque([start])
    markdowns: list[str] = []
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:

        async def fetch(url: str) -> None:
            response = await client.get(url)
            html = response.text
            markdowns.append(trafilatura.extract(html, output_format="markdown") or "")
            for href in lxml.html.fromstring(html).xpath("//a/@href"):
                link = canonical_url(httpx.URL(url).join(href).__str__())
                if link.startswith(origin) and link not in seen:
                    seen.add(link)
                    queue.append(link)

        fetched = 0
        while queue and fetched < pages:
            batch = [queue.popleft() for _ in range(min(concurrency, len(queue), pages - fetched))]
            fetched += len(batch)
            await asyncio.gather(*(fetch(u) for u in batch))
    return len(markdowns) / (time.perf_counter() - started), markdowns


def boilerplate(markdowns: list[str]) -> float:
    """Share of pages whose Markdown still carries the navigation or the footer."""
    dirty = sum(1 for md in markdowns if NAV[:20] in md or FOOTER[:20] in md)
    return dirty / max(1, len(markdowns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    server = serve(build_site(args.pages, corpus(args.pages * 4)))
    start = f"http://127.0.0.1:{server.server_port}/page/0"
    ours, base, ours_md, base_md = [], [], [], []
    try:
        asyncio.run(shield_crawl(start, 10, args.concurrency))  # imports and warm-up
        asyncio.run(baseline_crawl(start, 10, args.concurrency))
        for round_no in range(args.rounds):
            rate, ours_md = asyncio.run(shield_crawl(start, args.pages, args.concurrency))
            ours.append(rate)
            rate, base_md = asyncio.run(baseline_crawl(start, args.pages, args.concurrency))
            base.append(rate)
            print(
                f"round {round_no}: shield {ours[-1]:.1f} pages/s ({len(ours_md)} pages), "
                f"httpx+trafilatura {base[-1]:.1f} pages/s ({len(base_md)} pages)"
            )
    finally:
        server.shutdown()
    figures = {
        "pages": args.pages,
        "concurrency": args.concurrency,
        "shield_pages_per_s": median(ours),
        "baseline_pages_per_s": median(base),
        "ratio": median([o / b for o, b in zip(ours, base, strict=True)]),
        "shield_pages_with_boilerplate": boilerplate(ours_md),
        "baseline_pages_with_boilerplate": boilerplate(base_md),
        "shield_markdown_chars_median": median([len(m) for m in ours_md]),
        "baseline_markdown_chars_median": median([len(m) for m in base_md]),
    }
    print(
        f"\nshield {figures['shield_pages_per_s']:.1f} pages/s, baseline "
        f"{figures['baseline_pages_per_s']:.1f} pages/s, ratio {figures['ratio']:.2f} (median); "
        f"pages with boilerplate: shield {figures['shield_pages_with_boilerplate']:.0%}, "
        f"baseline {figures['baseline_pages_with_boilerplate']:.0%}"
    )
    save("crawl", figures)


if __name__ == "__main__":
    main()
