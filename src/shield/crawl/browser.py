"""The browser engine: pages rendered by the system's Chromium, for sites built by JavaScript.

Chromium is started by Shield (a managed browser, driven over CDP) so that it can be started
unable to reach anything by itself: every connection it would open goes to a dead proxy and
every name it would resolve resolves to nothing. Each request a page makes is intercepted and
fetched by Shield through the egress guard (`GuardedHTTPStrategy`'s session: checked and pinned
addresses), then handed back to the browser. A redirect is handed back as a redirect, so the
browser asks again and the next hop is checked too. Images, media and fonts are not fetched:
text is what a crawl keeps.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from crawl4ai import BrowserConfig
from crawl4ai.async_crawler_strategy import AsyncPlaywrightCrawlerStrategy

from shield.crawl.fetch import REDIRECTS, FetchRecord, GuardedHTTPStrategy, PageRefused
from shield.errors import ShieldError
from shield.logging import get_logger

log = get_logger(__name__)
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
_HOP_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length", "connection"})


class BrowserUnavailable(ShieldError):
    status_code = 503
    code = "browser_unavailable"


class ChromiumProcess:
    """A headless Chromium that can reach nothing on its own; `cdp_url` drives it."""

    def __init__(self, executable: str) -> None:
        path = shutil.which(executable)
        if path is None:
            raise BrowserUnavailable(
                f"the browser engine needs Chromium; {executable!r} was not found "
                "(install Debian's `chromium` or set SHIELD_CRAWL_BROWSER_PATH)"
            )
        self.profile = tempfile.mkdtemp(prefix="shield-chromium-")
        args = [
            path,
            "--headless=new",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            # Nothing leaves the browser by itself: Shield fetches every request for it.
            "--proxy-server=http://127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--mute-audio",
        ]
        if os.geteuid() == 0:  # Chromium's sandbox refuses root; services run unprivileged
            args.append("--no-sandbox")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed argument list
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.cdp_url = self._wait_for_port()

    def _wait_for_port(self, timeout: float = 20.0) -> str:
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if marker.exists() and (text := marker.read_text().split()):
                return f"http://127.0.0.1:{text[0]}"
            time.sleep(0.05)
        self.stop()
        raise BrowserUnavailable("Chromium did not start (no DevTools port within 20 s)")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


class GuardedRouter:
    """Fulfils every request of a browser context through the guarded HTTP session.

    Redirects are followed here, hop by hop, each hop checked: Chromium does not hand the hops
    of a fulfilled redirect back to the router, so they would otherwise reach its dead proxy. A
    page that was redirected gets a `<base>` of its final URL, so its relative links resolve as
    the browser would have resolved them."""

    def __init__(self, fetcher: GuardedHTTPStrategy) -> None:
        self.fetcher = fetcher

    async def handle(self, route: Any, request: Any) -> None:
        url = str(request.url)
        document = request.resource_type == "document" and request.frame.parent_frame is None
        record = self.fetcher.records.setdefault(url, FetchRecord(url=url)) if document else None
        if request.method not in ("GET", "HEAD") or request.resource_type in SKIPPED_RESOURCES:
            await route.abort("blockedbyclient")
            return
        try:
            final, status, headers, body = await self._follow(url, record)
        except ShieldError as exc:
            if record is not None:
                record.error = exc
            await route.abort("blockedbyclient")
            return
        except (TimeoutError, OSError) as exc:
            if record is not None:
                record.error = PageRefused("fetch_failed", f"{url} could not be fetched: {exc}")
            await route.abort("failed")
            return
        if record is not None:
            record.status_code, record.final_url, record.bytes = status, final, len(body)
            if final != url and b"<" in body[:1024]:
                body = f'<base href="{html.escape(final)}">'.encode() + body
        forwarded = {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}
        await route.fulfill(status=status, headers=forwarded, body=body)

    async def _follow(
        self, url: str, record: FetchRecord | None
    ) -> tuple[str, int, dict[str, str], bytes]:
        current = url
        for _hop in range(self.fetcher.limits.max_redirects + 1):
            status, headers, body = await self.fetcher.fetch_raw(current)
            location = next((v for k, v in headers.items() if k.lower() == "location"), None)
            if status not in REDIRECTS or location is None:
                return current, status, headers, body
            if record is not None:
                record.redirects.append(current)
            current = urljoin(current, location)
        raise PageRefused(
            "redirects", f"{url} redirects more than {self.fetcher.limits.max_redirects} times"
        )


class BrowserStrategy(AsyncPlaywrightCrawlerStrategy):  # type: ignore[misc]
    """Crawl4AI's browser strategy on Shield's managed Chromium, every request routed."""

    def __init__(self, chromium: ChromiumProcess, fetcher: GuardedHTTPStrategy) -> None:
        config = BrowserConfig(
            browser_mode="cdp", cdp_url=chromium.cdp_url, headless=True, verbose=False
        )
        super().__init__(browser_config=config)
        self.router = GuardedRouter(fetcher)
        self.set_hook("on_page_context_created", self._route_context)

    async def _route_context(self, page: Any, context: Any, **_: Any) -> Any:
        await context.route("**/*", self.router.handle)
        return page
