"""The egress policy and the guarded fetcher: a table of hostile URLs that must all be refused,
the allowlist, redirects re-checked hop by hop, and the connection going to the checked address."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from shield.errors import PayloadTooLarge
from shield.net.egress import EgressPolicy, EgressRefused
from shield.net.fetch import FetchFailed, GuardedFetcher
from shield.net.urls import canonical_url

HOSTILE_URLS = [
    # schemes other than http(s)
    "file:///etc/passwd",
    "ftp://example.com/file",
    "gopher://127.0.0.1:6379/_INFO",
    "javascript:alert(1)",
    "//example.com/no-scheme",
    # loopback, in every spelling
    "http://127.0.0.1/",
    "http://127.0.0.2:8080/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://[::1]/",
    "http://2130706433/",  # decimal
    "http://0x7f000001/",  # hex
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",  # octal
    "http://017700000001/",
    "http://127.1/",  # short form
    "http://0/",
    "http://0.0.0.0/",
    "http://[::]/",
    # private networks
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://[fd00::1]/",  # IPv6 unique local
    "http://[fc00::5]/",
    # link-local and cloud metadata
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    # IPv4 hidden in IPv6
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::10.0.0.1]/",  # NAT64
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    # multicast, reserved, broadcast
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    # credentials, odd host names
    "http://user:pass@example.com/",
    "http://exa mple.com/",
    "http:///path-only",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_refused(url: str) -> None:
    policy = EgressPolicy()

    def check(url: str) -> None:
        target = policy.check_url(url)
        policy.resolve(target.host, target.port)

    with pytest.raises(EgressRefused) as caught:
        check(url)
    assert caught.value.status_code == 403
    assert caught.value.message


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"],
)
def test_public_addresses_pass(address: str) -> None:
    policy = EgressPolicy()
    host = f"[{address}]" if ":" in address else address
    target = policy.check_url(f"https://{host}/doc.pdf")
    assert policy.resolve(target.host, target.port) == [address]


def test_the_reason_names_the_kind_of_address_and_the_fix() -> None:
    with pytest.raises(EgressRefused) as caught:
        EgressPolicy().check_url("http://169.254.169.254/")
    assert "link-local" in caught.value.message
    assert "SHIELD_CRAWL_ALLOWLIST" in caught.value.message


def test_the_allowlist_opens_named_hosts_and_networks_only() -> None:
    policy = EgressPolicy.from_allowlist(["wiki.corp", "10.20.0.0/16", "127.0.0.1"])
    policy.check_address("wiki.corp", __import__("ipaddress").ip_address("192.168.1.7"))
    policy.check_url("http://10.20.3.4/page")
    policy.check_url("http://127.0.0.1:8080/page")
    for url in ("http://10.21.0.1/", "http://127.0.0.2/", "http://192.168.1.7/"):
        with pytest.raises(EgressRefused):
            policy.check_url(url)
    with pytest.raises(ValueError, match="neither a host name"):
        EgressPolicy.from_allowlist(["http://wiki.corp/"])


def test_a_host_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def two_answers(host: str, port: int, **_: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.8", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(EgressRefused, match=r"10\.0\.0\.8"):
        EgressPolicy().resolve("mixed.example", 80)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("HTTP://Example.COM:80/a/b?x=1#frag", "http://example.com/a/b?x=1"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/p", "https://example.com:8443/p"),
        ("https://example.com/p?utm_source=x&id=3&fbclid=y", "https://example.com/p?id=3"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("https://example.com/docs/", "https://example.com/docs"),
        ("https://example.com/?b=2&a=1", "https://example.com/?b=2&a=1"),
    ],
)
def test_canonical_urls(given: str, canonical: str) -> None:
    assert canonical_url(given) == canonical


# --- the fetcher, against servers on loopback ----------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        route = self.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, *_: Any) -> None:
        pass


def _redirect(location: str) -> Any:
    def handle(h: _Handler) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.end_headers()

    return handle


def _body(data: bytes, content_type: str = "text/plain", delay: float = 0) -> Any:
    def handle(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        try:
            for start in range(0, len(data), 1024):
                if delay:
                    time.sleep(delay)
                h.wfile.write(data[start : start + 1024])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the fetcher hung up, as it should

    return handle


def _echo_host(h: _Handler) -> None:
    data = f"host={h.headers['Host']}".encode()
    _body(data)(h)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_port}"
    _Handler.routes = {
        "/doc.txt": _body(b"hello from the intranet"),
        "/to-doc": _redirect("/doc.txt"),
        "/to-other-loopback": _redirect(f"http://127.0.0.2:{server.server_port}/doc.txt"),
        "/to-metadata": _redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-file": _redirect("file:///etc/passwd"),
        "/loop": _redirect("/loop"),
        "/huge": _body(b"x" * 300_000),
        "/slow": _body(b"y" * 8192, delay=0.5),
        "/host": _echo_host,
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()


def _fetcher(*allow: str, **kw: Any) -> GuardedFetcher:
    return GuardedFetcher(EgressPolicy.from_allowlist(allow), **kw)


def test_loopback_is_refused_until_allowlisted(site: str) -> None:
    with pytest.raises(EgressRefused, match="loopback"):
        _fetcher().fetch(f"{site}/doc.txt")
    fetched = _fetcher("127.0.0.1").fetch(f"{site}/to-doc")
    assert fetched.data == b"hello from the intranet"
    assert fetched.redirects == [f"{site}/to-doc"]
    assert fetched.url == f"{site}/doc.txt"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/to-other-loopback", "127.0.0.2 is a loopback address"),
        ("/to-metadata", "link-local"),
        ("/to-file", "only http:// and https://"),
    ],
)
def test_every_redirect_hop_is_checked_again(site: str, path: str, reason: str) -> None:
    with pytest.raises(EgressRefused, match=reason):
        _fetcher("127.0.0.1").fetch(f"{site}{path}")


def test_endless_redirects_stop(site: str) -> None:
    with pytest.raises(FetchFailed, match="redirects more than 3 times"):
        _fetcher("127.0.0.1", max_redirects=3).fetch(f"{site}/loop")


def test_responses_are_cut_at_the_size_limit(site: str) -> None:
    with pytest.raises(PayloadTooLarge, match="100000"):
        _fetcher("127.0.0.1", max_bytes=100_000).fetch(f"{site}/huge")


def test_a_server_trickling_bytes_hits_the_deadline(site: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=r"longer than 1 s|within 1 s"):
        _fetcher("127.0.0.1", timeout=1.0).fetch(f"{site}/slow")
    assert time.monotonic() - started < 3


def test_the_connection_goes_to_the_address_that_was_checked(
    site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name is resolved once, by the policy; the socket connects to that address, so a DNS
    answer that changes after the check (rebinding) is never used."""
    answers = iter(["127.0.0.1", "10.9.9.9"])  # the second answer would be the rebind
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolver(host: str, port: int, *args: Any, **kw: Any) -> Any:
        if host != "docs.rebind.test":
            return real(host, port, *args, **kw)
        address = next(answers)
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = site.rsplit(":", 1)[1]
    fetched = _fetcher("127.0.0.1").fetch(f"http://docs.rebind.test:{port}/host")
    assert fetched.data == f"host=docs.rebind.test:{port}".encode()
    assert lookups == ["127.0.0.1"]  # one lookup: nothing resolved the name a second time
