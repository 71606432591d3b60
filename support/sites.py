"""Web sites the tests serve on loopback, with the traps a crawler meets in the wild."""

from __future__ import annotations

import collections
import contextlib
import email.utils
import functools
import http.server
import threading
import time
from collections.abc import Callable
from typing import Any

Route = Callable[["_Handler"], None]

NAV = "<nav><a href='/'>Home</a> | <a href='/topics/1'>Topics</a> | Site navigation menu</nav>"
FOOTER = "<footer>Copyright 2026 Example Corp. Privacy policy. All rights reserved.</footer>"


def page(title: str, body: str, links: list[str] = ()) -> bytes:  # type: ignore[assignment]
    anchors = " ".join(f"<a href='{href}'>{href}</a>" for href in links)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{NAV}"
        f"<main><h1>{title}</h1><p>{body}</p><p>{anchors}</p></main>{FOOTER}</body></html>"
    ).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:
        path = self.path.split("#", 1)[0]
        self.site.requests[path] += 1
        route = self.site.routes.get(path.split("?", 1)[0]) or self.site.fallback(path)
        if route is None:
            self.send_error(404)
            return
        # The crawler may hang up (a limit, a timeout), as it should.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def send(
        self, status: int, body: bytes, content_type: str = "text/html", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


class Site:
    """A threaded HTTP server on a loopback address (127.0.0.1 unless told) with routes by path;
    counts every request."""

    def __init__(self, routes: dict[str, Route] | None = None, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: collections.Counter[str] = collections.Counter()
        handler = type("Handler", (_Handler,), {"site": self})
        self.server = http.server.ThreadingHTTPServer((host, 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fallback(self, path: str) -> Route | None:
        return None

    def html(self, path: str, body: bytes) -> None:
        self.routes[path] = lambda h: h.send(200, body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TrapSite(Site):
    """A small documentation site, and every trap of the crawl issue around it."""

    def __init__(self, other_port: int, page_bytes_limit: int) -> None:
        super().__init__()
        base = self.url
        self.html(
            "/",
            page(
                "Harbour handbook",
                "Welcome to the harbour handbook. It explains moorings, tides and cranes.",
                [
                    "/moorings#section-2",
                    "/tides/",
                    f"http://127.0.0.1:{other_port}/elsewhere",
                    "http://example.com/outside",
                    "/private/secrets",
                    "/to-private",
                    "/to-loopback",
                    "/calendar/1",
                    "/huge",
                    "/download.bin",
                    "/slow",
                    "/moorings?utm_source=newsletter",
                ],
            ),
        )
        self.html(
            "/moorings",
            page("Moorings", "Boats longer than twelve metres moor at the north pier.", ["/"]),
        )
        self.html(
            "/tides",
            page("Tides", "Spring tides flood the slipway twice a month.", ["/moorings"]),
        )
        self.html(
            "/orphan",
            page("Crane rota", "The gantry crane is serviced every Thursday morning.", []),
        )
        self.html("/private/secrets", page("Secret", "Robots may not read this.", []))
        self.routes["/robots.txt"] = lambda h: h.send(
            200,
            f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n".encode(),
            "text/plain",
        )
        self.routes["/sitemap.xml"] = lambda h: h.send(
            200,
            (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{base}/orphan</loc></url><url><loc>{base}/moorings</loc></url>"
                "</urlset>"
            ).encode(),
            "application/xml",
        )
        self.routes["/to-private"] = lambda h: h.send(302, b"", Location="http://10.1.2.3/admin")
        self.routes["/to-loopback"] = lambda h: h.send(
            302, b"", Location=f"http://127.0.0.2:{self.port}/moorings"
        )
        self.routes["/huge"] = lambda h: h.send(
            200, page("Huge", "word " * (page_bytes_limit // 4), [])
        )
        self.routes["/download.bin"] = lambda h: h.send(
            200, bytes(range(256)) * 16, "application/octet-stream"
        )
        self.routes["/slow"] = _slow

    def fallback(self, path: str) -> Route | None:
        if path.startswith("/calendar/"):  # an infinite link space: each day links the next
            day = int(path.rsplit("/", 1)[1] or 0)
            body = page(f"Day {day}", f"Nothing happens on day {day}.", [f"/calendar/{day + 1}"])
            return lambda h: h.send(200, body)
        return None


def _slow(handler: _Handler) -> None:
    time.sleep(3)
    handler.send(200, page("Slow", "This page is too slow.", []))


def slow_site(count: int, seconds: float) -> Site:
    """A start page linking `count` pages that each take `seconds` to answer: a crawl that lasts
    long enough to be watched or cancelled."""
    site = Site()
    links = [f"/slow/{i}" for i in range(count)]
    site.html("/", page("Slow pages", f"An archive of {count} slow pages.", links))
    body = page("A slow page", "Old ledgers, fetched slowly.", [])

    def slow(handler: _Handler) -> None:
        time.sleep(seconds)
        handler.send(200, body)

    for link in links:
        site.routes[link] = slow
    return site


class EditableSite(Site):
    """A site whose pages change between requests, as a docs site does between syncs: each page
    has a version (its ETag, its Last-Modified, its sitemap `<lastmod>`), answers 304 to a
    request that names its current version, and is listed in `/sitemap.xml`. Counts the
    conditional requests and the 304s."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, tuple[bytes, int]] = {}  # path -> (body, version)
        self.conditional = 0
        self.not_modified = 0
        self.down = False
        self.delay = 0.0  # seconds each page takes to answer
        self.routes["/sitemap.xml"] = self._sitemap

    def put(self, path: str, title: str, body: str, links: list[str] = ()) -> None:  # type: ignore[assignment]
        _, version = self.pages.get(path, (b"", 0))
        self.pages[path] = (page(title, body, links), version + 1)
        self.routes[path] = functools.partial(self._page, path)

    def remove(self, path: str) -> None:
        self.pages.pop(path, None)
        self.routes.pop(path, None)

    def _tag(self, path: str) -> tuple[str, str]:
        version = self.pages[path][1]
        stamp = 1_700_000_000 + version * 86_400
        return f'"{path}-v{version}"', email.utils.formatdate(stamp, usegmt=True)

    def _page(self, path: str, handler: _Handler) -> None:
        time.sleep(self.delay)
        if self.down:
            handler.send(503, b"down for maintenance")
            return
        etag, modified = self._tag(path)
        asked = handler.headers.get("If-None-Match")
        if asked or handler.headers.get("If-Modified-Since"):
            self.conditional += 1
        if asked == etag:
            self.not_modified += 1
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        handler.send(200, self.pages[path][0], ETag=etag, Last_Modified=modified)

    def _sitemap(self, handler: _Handler) -> None:
        if self.down:
            handler.send(503, b"down for maintenance")
            return
        entries = "".join(
            f"<url><loc>{self.url}{path}</loc><lastmod>2026-01-{version:02d}</lastmod></url>"
            for path, (_, version) in sorted(self.pages.items())
        )
        body = f'<?xml version="1.0"?><urlset>{entries}</urlset>'
        handler.send(200, body.encode(), "application/xml")
