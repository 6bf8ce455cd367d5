"""robots.txt, politely: Scrapy's RobotsTxtMiddleware plus the Crawl-delay directive (applied to
the host's download slot) and RFC 9309's rule that a robots.txt answering 5xx means "disallow
everything" for now."""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
MAX_CRAWL_DELAY = 30.0  # a bigger crawl-delay would stall the run; the site is still polite-ish


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    def process_request_2(self, rp: Any, request: Any) -> None:
        super().process_request_2(rp, request)
        if rp is None or request.meta.get("ecomstat_relaxed"):
            return
        useragent = self._robotstxt_useragent or self._default_useragent
        try:
            delay = rp.crawl_delay(useragent)
        except Exception:  # parser-specific failures: no delay rather than no crawl
            delay = None
        if not delay:
            return
        # AutoThrottle would otherwise shrink the slot's delay below what robots.txt asks for
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader
        _key, slot = downloader._get_slot(request)
        wanted = min(float(delay), MAX_CRAWL_DELAY)
        jitter = getattr(slot, "jitter", 0.0) or 0.0
        if slot.delay * (1.0 - jitter) < wanted:
            # Crawl-delay is a minimum: no random jitter may take a gap below it
            slot.delay = max(slot.delay, wanted)
            if hasattr(slot, "jitter"):
                slot.jitter = 0.0
            self._stats.inc_value("ecomstat/robots/crawl-delay-applied")

    async def _parse_robots(self, response: Any, netloc: str, request: Any) -> None:
        if response.status >= 500:
            self._stats.inc_value("ecomstat/robots/server-error")
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)
