"""SSRF through the public API: crawls and documents by URL aimed at every kind of address a
server must not fetch for a caller, directly and through redirects and links of a site the
worker may crawl. A canary on loopback counts what reaches it: nothing may. Each request is
either refused at once (422, for URLs nobody writes by accident) or its job ends saying why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.services import wait_job
from support.sites import Site, page
from tests.security.conftest import ALLOWLISTED, Stack


@pytest.fixture(scope="module")
def canary() -> Iterator[Site]:
    """What an attacker wants to reach: an admin page on the server's own loopback."""
    site = Site({"/": lambda h: h.send(200, page("Admin", "the keys to the kingdom"))})
    yield site
    site.stop()


@pytest.fixture(scope="module")
def intranet(canary: Site) -> Iterator[Site]:
    """A site the worker may crawl (allowlisted), whose pages point where they must not."""
    site = Site(host=ALLOWLISTED)

    def redirect(to: str) -> Any:
        return lambda h: h.send(302, b"", Location=to)

    site.routes["/to-canary"] = redirect(f"{canary.url}/")
    site.routes["/to-metadata"] = redirect("http://169.254.169.254/latest/meta-data/")
    site.routes["/to-private"] = redirect("http://10.20.30.40/")
    site.routes["/to-file"] = redirect("file:///etc/passwd")
    site.html("/links", page("Links", "Useful links.", [f"{canary.url}/", "http://10.1.1.1/"]))
    yield site
    site.stop()


# (URL, why it is refused). {canary} and {intranet} are filled in; "422" means refused at once.
CASES = [
    ("http://127.0.0.1:{canary}/", "loopback"),
    ("http://localhost:{canary}/", "loopback"),
    ("http://[::1]:{canary}/", "loopback"),
    ("http://[::ffff:127.0.0.1]:{canary}/", "loopback address inside an IPv6 address"),
    ("http://[64:ff9b::7f00:1]:{canary}/", "loopback address inside an IPv6 address"),
    ("http://0.0.0.0:{canary}/", "unspecified"),
    ("http://2130706433:{canary}/", "422"),
    ("http://0x7f.1:{canary}/", "422"),
    ("http://127.1:{canary}/", "422"),
    ("http://0177.0.0.1:{canary}/", "422"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://[fd00::1]/", "private"),
    ("http://224.0.0.1/", "multicast"),
    ("file:///etc/passwd", "422"),
    ("gopher://127.0.0.1:{canary}/", "422"),
    ("http://admin:secret@127.0.0.1:{canary}/", "422"),
    ("{intranet}/to-canary", "loopback"),
    ("{intranet}/to-metadata", "link-local"),
    ("{intranet}/to-private", "private"),
    ("{intranet}/to-file", "only http:// and https://"),
]


def _submit(client: httpx.Client, kind: str, url: str) -> httpx.Response:
    body = {"kind": "crawl", "url": url, "max_pages": 5} if kind == "crawl" else {"kind": kind}
    if kind == "document":
        body["url"] = url
    return client.post("/ingest-async", json=body)


@pytest.mark.parametrize("kind", ["crawl", "document"])
@pytest.mark.parametrize(("template", "reason"), CASES)
def test_no_url_reaches_what_it_must_not(
    stack: Stack, canary: Site, intranet: Site, kind: str, template: str, reason: str
) -> None:
    url = template.format(canary=canary.port, intranet=intranet.url)
    with stack.api.client() as client:
        response = _submit(client, kind, url)
        if reason == "422":
            assert response.status_code == 422, response.text
            assert response.json()["error"]["fields"][0]["field"] == "url", response.text
        else:
            assert response.status_code == 202, response.text
            state = wait_job(client, response.json()["job_id"], timeout=60)
            items = state["result"]["documents"]
            assert items, state
            assert not [d for d in items if d["status"] == "stored"], state
            errors = " ".join(str(d.get("error") or "") for d in items)
            assert reason in errors, state
    assert sum(canary.requests.values()) == 0, canary.requests


def test_links_inward_are_refused_even_when_the_caller_allows_their_origins(
    stack: Stack, canary: Site, intranet: Site
) -> None:
    body = {
        "kind": "crawl",
        "url": f"{intranet.url}/links",
        "allowed_domains": [canary.url, "http://10.1.1.1"],  # the caller's say is not enough
    }
    with stack.api.client() as client:
        response = client.post("/ingest-async", json=body)
        state = wait_job(client, response.json()["job_id"], timeout=60)
    items = {d["source"]: d for d in state["result"]["documents"]}
    assert items[f"{intranet.url}/links"]["status"] == "stored", state
    assert "loopback" in items[f"{canary.url}/"]["error"], state
    assert "private" in items["http://10.1.1.1/"]["error"], state
    assert sum(canary.requests.values()) == 0, canary.requests
