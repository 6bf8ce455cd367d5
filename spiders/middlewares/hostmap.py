"""Requests to hosts listed in ECOMSTAT_HOST_MAP go through the listed address as an HTTP proxy
(the sample web server accepts absolute-form requests); other hosts are untouched."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from ecomstat.hostmap import load_host_map


class HostMapMiddleware:
    def __init__(self, host_map: dict[str, str], relax_delays: bool) -> None:
        self.host_map = host_map
        self.relax_delays = relax_delays

    @classmethod
    def from_crawler(cls, crawler: Any) -> HostMapMiddleware:
        host_map = load_host_map(crawler.settings.get("ECOMSTAT_HOST_MAP") or "")
        if not host_map:
            raise NotConfigured("no ECOMSTAT_HOST_MAP")
        return cls(host_map, crawler.settings.getbool("ECOMSTAT_RELAX_MAPPED_DELAYS"))

    def process_request(self, request: Any) -> None:
        host = (urlparse_cached(request).hostname or "").lower()
        address = self.host_map.get(host)
        if address is None:
            return None
        if urlparse_cached(request).scheme == "http":
            request.meta["proxy"] = f"http://{address}"
        request.meta["ecomstat_mapped_address"] = address
        if self.relax_delays:
            request.meta["autothrottle_dont_adjust_delay"] = True
            request.meta["ecomstat_relaxed"] = True  # no robots.txt Crawl-delay either
        return None
