"""Scrapy's DNS resolver, refusing names that resolve to private addresses at connect time.

`PrivateAddressMiddleware` checks a host before a request is sent, with its own lookup. The
downloader then resolves the name again to connect, and a DNS server that answers a public
address the first time and 127.0.0.1 the second (DNS rebinding) would get the crawler into the
intranet. This resolver is the one the downloader connects with (Scrapy's DNS_RESOLVER), so its
check and the connection use the same answer: a name whose answer is private, and that
ECOMSTAT_ALLOW_PRIVATE_HOSTS does not allow, fails like a name that does not resolve (outcome
dns-failure; Twisted keeps no reason for a failed lookup, so the log says why).

Addresses written as such (the sample web's loopback proxy, `http://10.0.0.1/`) are passed
through in their canonical spelling (`0x7f.1` is 127.0.0.1, as the OS would read it): they cannot
change between two lookups, and the middleware refuses private ones. The rule is
ecomstat.netsafety's, the one every fetcher uses.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from ecomstat.netsafety import first_refused, normalise_host, parse_address

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)


class SafeResolver(CachingThreadedResolver):
    def __init__(self, reactor: Any, cache_size: int, timeout: float, allowed: list[str]) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> SafeResolver:
        # Scrapy passes the CrawlerProcess here (one resolver per reactor): process settings
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"),
                   settings.getlist("ECOMSTAT_ALLOW_PRIVATE_HOSTS"))

    def getHostByName(self, name: str | bytes, timeout: Sequence[int] = ()) -> defer.Deferred:  # noqa: N802
        host = (name.decode("ascii", "replace") if isinstance(name, bytes) else name)
        host = host.rstrip(".").lower()
        if parse_address(host) is not None:
            return defer.succeed(normalise_host(host))
        resolved: defer.Deferred = super().getHostByName(name, timeout)
        return resolved.addCallback(self._refuse_private, host)

    def _refuse_private(self, address: str, host: str) -> str:
        if first_refused(host, [address], self.allowed) is not None:
            logger.warning("refused at connect time: %s now resolves to the private address %s "
                           "(DNS rebinding?)", host, address)
            raise DNSLookupError(f"{host} resolves to the private address {address}")
        return address
