"""Refuse hosts that resolve (or are mapped) to an address that is not globally reachable
(private, loopback, link-local, carrier-grade NAT, multicast, reserved, and IPv6 forms wrapping
such an IPv4), unless their name matches ECOMSTAT_ALLOW_PRIVATE_HOSTS. Resolving here also turns
a name that does not resolve into a dns-failure outcome before anything is sent.

The rule itself is ecomstat.netsafety's (one rule for every fetcher); the names below are the
crawler's handles on it."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from scrapy.utils.httpobj import urlparse_cached

from ecomstat.netsafety import (
    first_refused,
    host_allowed,
    is_refused_address,
    normalise_host,
)
from ecomstat.netsafety import parse_address as _parse_address
from ecomstat.spiders.outcomes import DnsFailure, RefusedPrivate

__all__ = ["PrivateAddressMiddleware", "SafetyRule", "host_allowed", "is_address", "is_private"]


def is_private(address: str) -> bool:
    """Whether the crawler must not contact `address` (ecomstat.netsafety.is_refused_address)."""
    return is_refused_address(address)


def is_address(host: str) -> bool:
    """Whether `host` is an IP address written as such, not a name (any spelling the OS reads
    as an address, `127.1` or `0x7f.0.0.1` included)."""
    return _parse_address(host) is not None


class SafetyRule:
    """Which hosts may be contacted: a host refused resolves (or is mapped) to an address
    ecomstat.netsafety refuses and matches no allowed suffix. Used by the downloader
    middleware, through which Chromium's script and API requests are downloaded too
    (spiders/render); name resolutions are cached per crawl."""

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = allowed
        self._addresses: dict[str, list[str] | None] = {}

    async def addresses(self, host: str, mapped: str | None = None) -> list[str] | None:
        """The addresses `host` is contacted at (the mapped one if any); None: unresolvable."""
        if mapped:
            return [mapped.rsplit(":", 1)[0]]
        if host in self._addresses:
            return self._addresses[host]
        addresses: list[str] | None
        if is_address(host):
            addresses = [normalise_host(host)]  # `0x7f.1` is checked as 127.0.0.1
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, None, type=socket.SOCK_STREAM)
                addresses = sorted({info[4][0] for info in infos})
            except (socket.gaierror, UnicodeError, OSError):
                addresses = None
        self._addresses[host] = addresses
        return addresses

    def refuses(self, host: str, addresses: list[str]) -> bool:
        return first_refused(host, addresses, self.allowed) is not None


class PrivateAddressMiddleware:
    def __init__(self, allowed: list[str], stats: Any) -> None:
        self.rule = SafetyRule(allowed)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> PrivateAddressMiddleware:
        allowed = crawler.settings.getlist("ECOMSTAT_ALLOW_PRIVATE_HOSTS")
        return cls(allowed, crawler.stats)

    async def process_request(self, request: Any) -> None:
        host = (urlparse_cached(request).hostname or "").lower()
        addresses = await self.rule.addresses(host, request.meta.get("ecomstat_mapped_address"))
        if addresses is None:
            self.stats.inc_value("ecomstat/dns/failures")
            raise DnsFailure(f"{host} does not resolve")
        refused = first_refused(host, addresses, self.rule.allowed)
        if refused is not None:
            raise RefusedPrivate(f"{host} resolves to a non-public address {refused}")
        return None
