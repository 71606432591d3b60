"""Allowlist entries (SHIELD_CRAWL_ALLOWLIST): host names, addresses and CIDRs, read in one place
for the settings that check them and for the egress policy that applies them."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")


def parse_network(entry: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def parse_allowlist(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """The host names and the networks of the entries (`wiki.corp`, `10.2.0.0/16`, `::1`);
    ValueError naming an entry that is neither."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        network = parse_network(entry.strip("[]"))
        if network is not None:
            networks.append(network)
        elif HOST_NAME.match(entry):
            hosts.add(entry.rstrip("."))
        else:
            raise ValueError(f"{raw!r} is neither a host name nor an address or CIDR")
    return frozenset(hosts), tuple(networks)
