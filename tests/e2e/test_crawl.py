"""Crawls of a local site full of traps: through the crawler itself (every page's outcome),
then end to end through shield-api and a worker (pages stored, found, boilerplate left out)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shield.crawl.crawler import CrawlOptions, CrawlSummary, Page, SiteCrawler
from shield.crawl.fetch import FetchLimits
from shield.net.egress import EgressPolicy
from support.processes import wait_for
from support.services import ApiServer, WorkerProcess, wait_job
from support.sites import Site, TrapSite, page

PAGE_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def other() -> Iterator[Site]:
    site = Site()
    site.html("/elsewhere", page("Elsewhere", "Another origin on another port.", []))
    yield site
    site.stop()


@pytest.fixture(scope="module")
def site(other: Site) -> Iterator[TrapSite]:
    trap = TrapSite(other.port, PAGE_LIMIT)
    yield trap
    trap.stop()


def crawl(site: Site, **options: object) -> CrawlSummary:
    policy = EgressPolicy.from_allowlist(["127.0.0.1"])
    values = {
        "url": f"{site.url}/",
        "max_pages": 30,
        "max_depth": 3,
        "limits": FetchLimits(timeout=1.0, max_bytes=PAGE_LIMIT),
        **options,
    }
    crawler = SiteCrawler(policy, CrawlOptions(**values))  # type: ignore[arg-type]
    pages: list[Page] = []

    async def collect(p: Page) -> None:
        pages.append(p)

    return asyncio.run(crawler.crawl(collect))


def by_path(summary: CrawlSummary, site: Site) -> dict[str, Page]:
    return {p.url.removeprefix(site.url): p for p in summary.pages}


def test_every_page_has_an_honest_outcome(site: TrapSite, other: Site) -> None:
    site.requests.clear()
    summary = crawl(site)
    pages = by_path(summary, site)

    for path in ("/", "/moorings", "/tides", "/orphan"):
        assert pages[path].status == "fetched", (path, pages[path])
    assert "north pier" in pages["/moorings"].markdown
    assert pages["/orphan"].title == "Crane rota"  # found only through the sitemap

    assert pages["/private/secrets"].status == "skipped"
    assert "robots.txt" in pages["/private/secrets"].reason
    assert site.requests["/private/secrets"] == 0

    assert pages["/to-private"].status == "skipped"
    assert "10.1.2.3 is a private address" in pages["/to-private"].reason
    assert "127.0.0.2 is a loopback address" in pages["/to-loopback"].reason

    assert pages["/huge"].status == "skipped"
    assert "larger than" in pages["/huge"].reason
    assert pages["/download.bin"].status == "skipped"
    assert "application/octet-stream" in pages["/download.bin"].reason
    assert pages["/slow"].status == "failed"
    assert "within 1 s" in pages["/slow"].reason

    elsewhere = f"http://127.0.0.1:{other.port}/elsewhere"
    outside = {p.url: p for p in summary.pages}
    assert "outside the allowed origins" in outside[elsewhere].reason
    assert "outside the allowed origins" in outside["http://example.com/outside"].reason
    assert other.requests["/elsewhere"] == 0

    # Canonical URLs: the start page, /moorings (three spellings) and /tides fetched once each.
    assert site.requests["/"] == 1
    assert site.requests["/moorings"] == 1
    assert site.requests["/tides"] + site.requests["/tides/"] == 1
    assert not any(p.status == "fetched" and "blocked" in p.reason for p in summary.pages)


def test_the_infinite_link_space_ends_at_the_limits(site: TrapSite) -> None:
    summary = crawl(site, max_pages=8, max_depth=10)
    fetched = [p for p in summary.pages if p.status in ("fetched", "failed")]
    assert len([p for p in summary.pages if p.depth >= 0]) == 8
    assert len(fetched) <= 8
    deep = crawl(site, max_pages=100, max_depth=3)
    days = [p for p in deep.pages if "/calendar/" in p.url]
    assert max(int(p.url.rsplit("/", 1)[1]) for p in days) == 3  # depth 1 is /calendar/1


def test_allowed_domains_admit_exact_origins_only(site: TrapSite, other: Site) -> None:
    summary = crawl(site, allowed_domains=[f"127.0.0.1:{other.port}"], max_depth=1)
    pages = {p.url: p for p in summary.pages}
    assert pages[f"http://127.0.0.1:{other.port}/elsewhere"].status == "fetched"
    https_only = crawl(site, allowed_domains=[f"https://127.0.0.1:{other.port}"], max_depth=1)
    pages = {p.url: p for p in https_only.pages}
    assert pages[f"http://127.0.0.1:{other.port}/elsewhere"].status == "skipped"


def test_without_the_allowlist_even_the_start_page_is_refused(site: TrapSite) -> None:
    crawler = SiteCrawler(EgressPolicy(), CrawlOptions(url=f"{site.url}/", max_pages=5))
    pages: list[Page] = []

    async def collect(p: Page) -> None:
        pages.append(p)

    summary = asyncio.run(crawler.crawl(collect))
    [start] = [p for p in summary.pages if p.depth == 0]
    assert start.status == "skipped"
    assert "127.0.0.1 is a loopback address" in start.reason


# --- end to end ---------------------------------------------------------------------------


# `api` is the shared fixture of tests/e2e/conftest.py; the worker here may crawl loopback.


@pytest.fixture(scope="module")
def worker(
    api: ApiServer,
    start_worker: Callable[..., WorkerProcess],
    tmp_path_factory: pytest.TempPathFactory,
) -> WorkerProcess:
    return start_worker(
        api,
        SHIELD_CRAWL_ALLOWLIST="127.0.0.1",
        SHIELD_CRAWL_PAGE_TIMEOUT="1",
        SHIELD_CRAWL_MAX_PAGE_BYTES=str(PAGE_LIMIT),
        SHIELD_DATA_DIR=str(tmp_path_factory.mktemp("worker-data")),
    )


def test_a_crawl_job_stores_clean_pages_and_reports_every_one(
    api: ApiServer, worker: WorkerProcess, site: TrapSite
) -> None:
    with api.client() as client:
        response = client.post(
            "/ingest-async",
            json={
                "kind": "crawl",
                "url": f"{site.url}/",
                "max_pages": 25,
                "max_depth": 2,
                "collection": "harbour",
                "create_collection": True,
                "metadata": {"site": "harbour"},
            },
        )
        assert response.status_code == 202, response.text
        state = wait_job(client, response.json()["job_id"], timeout=120)
        assert state["status"] == "succeeded", (state, worker.log()[-3000:])
        items = {d["source"].removeprefix(site.url): d for d in state["result"]["documents"]}
        assert items["/moorings"]["status"] == "stored"
        assert items["/orphan"]["status"] == "stored"
        assert items["/private/secrets"]["status"] == "skipped"
        assert "10.1.2.3" in items["/to-private"]["error"]
        progress = state["progress"]
        assert progress["pages_fetched"] >= 4
        assert progress["pages_skipped"] >= 5
        assert progress["pages_failed"] >= 1  # /slow
        assert progress["pages_discovered"] > progress["pages_fetched"]

        hits = client.post(
            "/search", json={"query": "where do long boats moor", "collection": "harbour"}
        ).json()["results"]
        assert hits[0]["source"] == f"{site.url}/moorings"
        assert hits[0]["metadata"]["metadata"] == {"site": "harbour"}
        every_text = "\n".join(
            hit["text"]
            for hit in client.post(
                "/search", json={"query": "copyright privacy", "collection": "harbour", "limit": 50}
            ).json()["results"]
        )
        assert "Copyright 2026" not in every_text  # footers never reach the store
        assert "Site navigation menu" not in every_text

        again = client.post(
            "/ingest-async",
            json={
                "kind": "crawl",
                "url": f"{site.url}/",
                "max_pages": 25,
                "max_depth": 2,
                "collection": "harbour",
                "create_collection": True,
                "metadata": {"site": "harbour"},
            },
        )
        second = wait_job(client, again.json()["job_id"], timeout=120)
        statuses = {d["status"] for d in second["result"]["documents"]}
        assert "unchanged" in statuses
        assert "stored" not in statuses


def test_cancel_stops_a_crawl_promptly(api: ApiServer, worker: WorkerProcess) -> None:
    slow = Site()
    slow.fallback = _slow_day  # type: ignore[method-assign]
    try:
        with api.client() as client:
            job_id = client.post(
                "/ingest-async",
                json={
                    "kind": "crawl",
                    "url": f"{slow.url}/day/0",
                    "max_pages": 1000,
                    "max_depth": 10,
                    "collection": "endless",
                    "create_collection": True,
                },
            ).json()["job_id"]
            wait_for(
                lambda: client.get(f"/jobs/{job_id}").json()["progress"]["pages_fetched"] >= 3,
                60,
                "the crawl to fetch a few pages",
            )
            cancelled_at = time.monotonic()
            assert client.delete(f"/jobs/{job_id}").status_code == 200
            state = wait_job(client, job_id, timeout=30)
            assert state["status"] == "cancelled"
            # The worker moves on at once; the crawl stops asking for pages within a second.
            wait_for(lambda: worker_idle(api), 10, "the worker to finish the cancelled job")
            assert time.monotonic() - cancelled_at < 10
            before = sum(slow.requests.values())
            time.sleep(1.5)
            assert sum(slow.requests.values()) == before
    finally:
        slow.stop()


def worker_idle(api: ApiServer) -> bool:
    import redis
    from rq import Worker

    connection = redis.Redis.from_url(api.settings.redis_url)
    return all(w.get_state() == "idle" for w in Worker.all(connection=connection))


def _slow_day(path: str) -> Callable[..., None] | None:
    if not path.startswith("/day/"):
        return None
    day = int(path.rsplit("/", 1)[1])

    def handle(handler: Any) -> None:
        time.sleep(0.3)
        handler.send(
            200,
            page(
                f"Day {day}",
                f"Day {day} of an endless diary.",
                [f"/day/{day + 1}", f"/day/{day + 2}"],
            ),
        )

    return handle


def test_crawl_requests_are_validated(api: ApiServer) -> None:
    with api.client() as client:
        for body, field in (
            ({"kind": "crawl", "url": "file:///etc/passwd"}, "url"),
            ({"kind": "crawl", "url": "https://example.com", "max_pages": 0}, "max_pages"),
            ({"kind": "crawl", "url": "https://example.com", "max_depth": 11}, "max_depth"),
            ({"kind": "crawl", "url": "https://example.com", "extra": 1}, "extra"),
            ({"kind": "crawl"}, "url"),
        ):
            response = client.post("/ingest-async", json=body)
            assert response.status_code == 422, response.text
            assert response.json()["error"]["fields"][0]["field"] == field, response.text


# --- the browser engine --------------------------------------------------------------------


@pytest.fixture(scope="module")
def script_site() -> Iterator[Site]:
    """Pages whose text and links exist only after their JavaScript ran."""
    site = Site()
    script = (
        "<script>document.getElementById('app').innerHTML = "
        "'<h1>Rendered</h1><p>The night ferry leaves the harbour at eleven.</p>"
        '<a href="/second">second</a> <a href="/to-private">private</a>\';</script>'
    )
    site.html(
        "/",
        f"<html><head><title>App</title></head><body><div id='app'></div>{script}"
        "</body></html>".encode(),
    )
    site.html("/second", page("Second", "Ferries to the islands run hourly.", []))
    site.routes["/to-private"] = lambda h: h.send(302, b"", Location="http://10.9.8.7/")
    yield site
    site.stop()


def test_the_browser_engine_renders_javascript_and_keeps_the_guard(script_site: Site) -> None:
    summary = crawl(script_site, engine="browser", max_depth=1)
    pages = by_path(summary, script_site)
    assert pages["/"].status == "fetched", pages["/"]
    assert "night ferry" in pages["/"].markdown  # only the script wrote it
    assert pages["/second"].status == "fetched"
    assert pages["/to-private"].status == "skipped"
    assert "10.9.8.7 is a private address" in pages["/to-private"].reason

    http_only = by_path(crawl(script_site, max_depth=1), script_site)
    assert "night ferry" not in http_only["/"].markdown
    assert "/second" not in http_only


def test_the_browser_engine_refuses_what_is_not_allowlisted(script_site: Site) -> None:
    crawler = SiteCrawler(
        EgressPolicy(), CrawlOptions(url=f"{script_site.url}/", engine="browser", max_pages=2)
    )

    async def ignore(_: Page) -> None:
        return None

    summary = asyncio.run(crawler.crawl(ignore))
    [start] = [p for p in summary.pages if p.depth == 0]
    assert start.status == "skipped"
    assert "127.0.0.1 is a loopback address" in start.reason
    assert script_site.requests["/"] >= 0  # nothing else to check: the browser never asked
