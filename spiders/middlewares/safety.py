"""Refuse hosts that resolve (or are mapped) to private, loopback, link-local, multicast or
reserved addresses, unless their name matches ECOMSTAT_ALLOW_PRIVATE_HOSTS. Resolving here also
turns a name that does not resolve into a dns-failure outcome before anything is sent."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from functools import lru_cache
from typing import Any

from scrapy.utils.httpobj import urlparse_cached

from spiders.outcomes import DnsFailure, RefusedPrivate


@lru_cache(maxsize=4096)
def is_private(address: str) -> bool:
    """Cached: every request of a host (and every mapped host of the sample web) asks again."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


def is_address(host: str) -> bool:
    """Whether `host` is an IP address written as such, not a name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_allowed(host: str, allowed_suffixes: list[str]) -> bool:
    for suffix in allowed_suffixes:
        suffix = suffix.strip().lower()
        if not suffix:
            continue
        bare = suffix.lstrip(".")
        if host == bare or host.endswith("." + bare):
            return True
    return False


class SafetyRule:
    """Which hosts may be contacted: a host refused resolves (or is mapped) to a private,
    loopback, link-local, multicast or reserved address and matches no allowed suffix. Shared by
    the downloader middleware and Chromium's sub-request filter (`render.BrowserRequestFilter`);
    name resolutions are cached per crawl."""

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
            addresses = [host]
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
        return any(is_private(address) for address in addresses) and not host_allowed(
            host, self.allowed)


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
        if self.rule.refuses(host, addresses):
            raise RefusedPrivate(f"{host} resolves to a private address {addresses[0]}")
        return None
