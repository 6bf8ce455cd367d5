"""HTTP download handler with a connection pool sized for the host map.

Every host of ECOMSTAT_HOST_MAP is fetched through the same proxy address, and Twisted's pool keys
proxied connections by the proxy, so Scrapy's default of CONCURRENT_REQUESTS_PER_DOMAIN (2) kept
connections serves the whole crawl: every other request opened (and closed) a new TCP connection,
a third of the crawl process's networking CPU. Keeping up to CONCURRENT_REQUESTS idle connections
changes nothing for direct requests (at most CONCURRENT_REQUESTS_PER_DOMAIN are open per host).
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler


class PooledHTTP11DownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._pool.maxPersistentPerHost = max(
            self._pool.maxPersistentPerHost, crawler.settings.getint("CONCURRENT_REQUESTS"))
