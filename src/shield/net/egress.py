"""The egress policy: which URLs and addresses Shield may fetch on a caller's behalf.

Only http and https. A host name is resolved here and every address it resolves to is checked;
the connection then goes to an address that was checked (see `shield.net.fetch`), so a DNS answer
that changes between the check and the connect (DNS rebinding) gains nothing. Refused: loopback,
private, link-local (cloud metadata at 169.254.169.254 included), carrier-grade NAT, multicast,
reserved and unspecified addresses, IPv6 unique-local and link-local, and IPv4 addresses hidden in
IPv6 forms (mapped, NAT64, 6to4). Numeric host spellings other than the canonical dotted quad
(`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) are refused outright: nobody writes those by
accident. `SHIELD_CRAWL_ALLOWLIST` opens named hosts or CIDRs for intranet sites.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from shield.allowlist import HOST_NAME, IPNetwork, parse_allowlist
from shield.errors import Forbidden

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_URL_CHARS = 4096
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class EgressRefused(Forbidden):
    code = "egress_refused"


def address_problem(ip: IPAddress) -> str | None:
    """Why an address may not be fetched, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_problem(embedded)
            return f"{inner} inside an IPv6 address" if inner else None
        if ip.scope_id:
            return "an IPv6 address with a zone"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address (where cloud metadata services live)"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a carrier-grade NAT address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "an address that is not globally routable"),
    )
    return next((reason for hit, reason in checks if hit), None)


def _is_obfuscated_number(host: str) -> bool:
    """`2130706433`, `0x7f.1`, `017700000001`, `127.1`: numbers that resolvers read as IPv4."""
    parts = host.rstrip(".").split(".")
    if not all(_NUMERIC_PART.match(p) for p in parts):
        return False
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return True
    return False


@dataclass(frozen=True)
class Target:
    """A URL that passed the policy's checks on its form."""

    url: str
    scheme: str
    host: str
    port: int


@dataclass(frozen=True)
class EgressPolicy:
    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def from_allowlist(cls, entries: Iterable[str]) -> EgressPolicy:
        """Entries are host names (`wiki.corp`) or addresses and CIDRs (`10.2.0.0/16`, `::1`)."""
        return cls(*parse_allowlist(entries))

    def check_url(self, url: str, *, addresses: bool = True) -> Target:
        """Refuse a URL by its form: scheme, credentials, host spelling, and (unless
        `addresses` is False: a caller without the allowlist) a literal address."""
        if len(url) > MAX_URL_CHARS:
            raise EgressRefused(f"the URL is longer than {MAX_URL_CHARS} characters")
        try:
            parts: SplitResult = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise EgressRefused(f"{url!r} is not a valid URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            shown = f"{scheme}://" if scheme else "no scheme"
            raise EgressRefused(f"{url!r} uses {shown}; only http:// and https:// are fetched")
        host = (parts.hostname or "").lower()
        if not host:
            raise EgressRefused(f"{url!r} has no host")
        if parts.username is not None or parts.password is not None:
            raise EgressRefused(f"{url!r} carries credentials; they are never sent")
        if _is_obfuscated_number(host):
            raise EgressRefused(f"{host!r} is an IP address in an unusual spelling; refused")
        if "%" in host:
            raise EgressRefused(f"{host!r} names an IPv6 zone; refused")
        literal = _ip_literal(host)
        if literal is None and not HOST_NAME.match(host):
            raise EgressRefused(f"{host!r} is not a valid host name")
        if literal is not None and addresses:
            self.check_address(host, literal)
        default_port = 443 if scheme == "https" else 80
        return Target(url=url.strip(), scheme=scheme, host=host, port=port or default_port)

    def host_allowlisted(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allow_hosts

    def check_address(self, host: str, ip: IPAddress) -> None:
        if self.host_allowlisted(host) or any(ip in net for net in self.allow_networks):
            return
        problem = address_problem(ip)
        if problem:
            shown = f"{host} ({ip})" if host != str(ip) else str(ip)
            raise EgressRefused(
                f"{shown} is {problem}; add it to SHIELD_CRAWL_ALLOWLIST to allow it",
                address=str(ip),
            )

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address of `host`, each checked; refused if any one of them is refused."""
        literal = _ip_literal(host)
        if literal is not None:
            self.check_address(host, literal)
            return [str(literal)]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise EgressRefused(f"{host!r} does not resolve: {exc}") from None
        addresses: list[str] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            ip = ipaddress.ip_address(sockaddr[0])
            self.check_address(host, ip)
            if str(ip) not in addresses:
                addresses.append(str(ip))
        if not addresses:
            raise EgressRefused(f"{host!r} resolves to no address")
        return addresses


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
