"""An HTTP client that can only reach what the egress policy allows.

The check sits where a socket is opened: `GuardedBackend.connect_tcp` resolves the host, checks
every address and connects to a checked address, never to the name. Redirects are followed here,
one hop at a time, each hop's URL checked again. Responses are read as a stream and cut at the
size limit, under a total deadline so a server trickling bytes cannot hold a worker.
"""

from __future__ import annotations

import time
import typing
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpcore
import httpx

from shield import __version__
from shield.errors import PayloadTooLarge, ShieldError
from shield.net.egress import EgressPolicy, EgressRefused

USER_AGENT = f"Shield/{__version__} (+self-hosted knowledge platform)"


class FetchFailed(ShieldError):
    status_code = 502
    code = "fetch_failed"
    # The site the caller named is down or refuses us: not a service Shield needs, so not
    # Shield's failure (its SLOs leave it out).
    cause = "input"


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, with the policy between the name and the connect."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.policy.resolve(host, port)
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                # TLS still verifies and sends SNI for `host`: httpcore passes the origin's name
                # to start_tls, whatever address the socket went to.
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: EgressPolicy, max_connections: int = 20) -> None:
        super().__init__(trust_env=False)
        # httpx does not take a network backend; the pool it built is replaced by one that has
        # ours (same settings otherwise). A test proves the guard is in the path.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=GuardedBackend(policy),
        )


@dataclass
class Fetched:
    url: str  # after redirects
    status_code: int
    content_type: str
    data: bytes
    redirects: list[str] = field(default_factory=list)


class GuardedFetcher:
    def __init__(
        self,
        policy: EgressPolicy,
        *,
        timeout: float = 30.0,
        max_bytes: int = 50 * 1024 * 1024,
        max_redirects: int = 5,
    ) -> None:
        self.policy = policy
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.client = httpx.Client(
            transport=GuardedTransport(policy),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would bypass the address checks
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self.client.close()

    def fetch(self, url: str) -> Fetched:
        deadline = time.monotonic() + self.timeout
        redirects: list[str] = []
        current = url
        for _hop in range(self.max_redirects + 1):
            self.policy.check_url(current)
            try:
                with self.client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        if not location:
                            raise FetchFailed(f"{current} redirects without a Location")
                        redirects.append(current)
                        current = urljoin(current, location)
                        continue
                    if response.status_code >= 400:
                        raise FetchFailed(
                            f"{current} answered HTTP {response.status_code}",
                            status_code=response.status_code,
                        )
                    data = self._read(response, current, deadline)
                    return Fetched(
                        url=current,
                        status_code=response.status_code,
                        content_type=response.headers.get("content-type", ""),
                        data=data,
                        redirects=redirects,
                    )
            except EgressRefused:
                raise
            except httpx.TimeoutException:
                raise FetchFailed(f"{current} did not answer within {self.timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"{current} could not be fetched: {exc}") from None
        raise FetchFailed(f"{url} redirects more than {self.max_redirects} times")

    def _read(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise PayloadTooLarge(
                f"{url} is {declared} bytes; the limit is {self.max_bytes} "
                "(SHIELD_MAX_UPLOAD_BYTES)"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise PayloadTooLarge(
                    f"{url} is larger than {self.max_bytes} bytes (SHIELD_MAX_UPLOAD_BYTES)"
                )
            if time.monotonic() > deadline:
                raise FetchFailed(f"{url} took longer than {self.timeout:g} s to download")
            chunks.append(chunk)
        return b"".join(chunks)
