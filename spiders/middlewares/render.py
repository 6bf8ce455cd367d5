"""Rendering: a page goes through Chromium only when its HTML needs it (near-empty visible text,
an empty single-page-app root, or a <noscript> wall); `always` renders every HTML page, `never`
turns this middleware off. Chromium is started on the first page that needs it.

The page is rendered from the response Scrapy already has (spiders.render.job), so Chromium makes
no fetch of its own: each script or API call of the page is downloaded here, through the crawl's
downloader middlewares (private-address rule, robots.txt, DOWNLOAD_MAXSIZE, every redirect hop
checked again), and nothing from a refused address reaches the page."""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.core.downloader import Slot
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse

from ecomstat.spiders.extract import looks_binary
from ecomstat.spiders.outcomes import CONNECTION_ERROR, OutcomeIgnore, RefusedPrivate, TimedOut, TooLarge
from ecomstat.spiders.render.browser import CHROMIUM_ARGS, BrowserPool, default_concurrency
from ecomstat.spiders.render.cache import ScriptCache
from ecomstat.spiders.render.job import (Fetched, Refused, RenderJob, RenderLimits, RenderTimedOut,
                                RenderTooLarge)

logger = logging.getLogger(__name__)

SCRIPT_OR_STYLE = re.compile(rb"<(script|style|noscript|template)\b.*?</\1\s*>", re.S | re.I)
TAG = re.compile(rb"<[^>]+>")
SPACE = re.compile(rb"\s+")
EMPTY_APP_ROOT = re.compile(
    rb"<(div|main|section)[^>]*\bid\s*=\s*[\"']?(app|root|__next|__nuxt|q-app|svelte)[\"']?[^>]*>"
    rb"\s*(<!--.*?-->\s*)?</\1>", re.S | re.I)
NOSCRIPT_WALL = re.compile(rb"<noscript\b[^>]*>(.*?)</noscript>", re.S | re.I)
JS_WORDS = re.compile(rb"javascript|enable js|activer|aktivieren|habilitar|abilitare", re.I)
NEAR_EMPTY_CHARS = 200


def visible_length(body: bytes) -> int:
    text = TAG.sub(b" ", SCRIPT_OR_STYLE.sub(b" ", body))
    return len(SPACE.sub(b" ", text).strip())


def needs_render(body: bytes) -> str | None:
    """Why this HTML needs a browser, or None."""
    has_script = b"<script" in body.lower()
    if not has_script:
        return None
    if EMPTY_APP_ROOT.search(body):
        return "spa-shell"
    length = visible_length(body)
    if length < NEAR_EMPTY_CHARS:
        return "near-empty"
    for match in NOSCRIPT_WALL.finditer(body):
        if JS_WORDS.search(match.group(1)) and length < 1500:
            return "noscript-wall"
    return None


HTML_TYPES = (b"text/html", b"application/xhtml+xml")
WAIT_S = 5.0  # the longest wait for a page's DOM to settle after DOMContentLoaded
# A DOM this long unchanged, with none of the page's requests pending for as long, is settled.
# 150 ms held a browser page idle for half of a sample-web shop's render; 100 ms is still
# several frames after the last answer a script turns into DOM.
SETTLE_MS = 100
# a rendered page's scripts and API calls to its own site at once (their own download slot)
SUBREQUEST_CONCURRENCY = 4
# downloader slots a pooled page holds at most while rendering: its own request and one of its
# page's requests in flight (RenderMiddleware.engine_started)
RENDER_SLOTS_PER_PAGE = 2
SCRIPT_CACHE_BYTES = 8 << 20  # scripts kept for other renders of the process (spiders.render.cache)


class RenderMiddleware:
    """Renders, in process_response, the pages that need it; the spider sees the rendered
    response (request.meta["ecomstat_rendered"])."""

    def __init__(self, crawler: Any, mode: str, limits: RenderLimits, pool: BrowserPool) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.mode = mode
        self.limits = limits
        self.pool = pool
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.scripts = ScriptCache(SCRIPT_CACHE_BYTES)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RenderMiddleware:
        settings = crawler.settings
        mode = (settings.get("ECOMSTAT_RENDER") or "never").lower()
        if mode not in ("auto", "always"):
            raise NotConfigured("rendering off")
        timeout = settings.getfloat("ECOMSTAT_RENDER_TIMEOUT") or 20.0
        limits = RenderLimits(
            max_bytes=settings.getint("ECOMSTAT_RENDER_MAX_BYTES") or 20 << 20,
            max_dom_bytes=settings.getint("ECOMSTAT_RENDER_MAX_DOM_BYTES") or 5 << 20,
            timeout_s=timeout, wait_s=min(WAIT_S, timeout / 2), settle_ms=SETTLE_MS)
        pool = BrowserPool(
            settings.get("ECOMSTAT_CHROMIUM_PATH") or "auto",
            settings.getlist("ECOMSTAT_CHROMIUM_ARGS") or list(CHROMIUM_ARGS),
            settings.getint("ECOMSTAT_RENDER_CONCURRENCY") or default_concurrency(
                crawl_processes(crawler)),
            settings.getint("ECOMSTAT_RENDER_RECYCLE") or 50)
        middleware = cls(crawler, mode, limits, pool)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.engine_started, signal=signals.engine_started)
        return middleware

    def engine_started(self) -> None:
        """Renders do not use up the crawl's download concurrency. A render runs in this
        middleware's process_response, so Scrapy counts its request as active in the
        downloader (CONCURRENT_REQUESTS) for as long as Chromium works on it, and each of the
        page's own requests (scripts, API calls) is another active download: with 200 ms per
        response, the renders of a few shops took most of a process's slots while the other
        sites' pages queued. The downloader's limit is raised by what the renders can hold at
        most (each pooled page and one request of its own); pages fetched at once stay
        CONCURRENT_REQUESTS, and the per-site limits are unchanged."""
        downloader = self.crawler.engine.downloader
        if downloader.total_concurrency > 0:  # 0: no limit
            extra = RENDER_SLOTS_PER_PAGE * self.pool.concurrency
            downloader.total_concurrency += extra
            self.stats.set_value("ecomstat/render/extra_concurrency", extra)

    async def spider_closed(self) -> None:
        await self.pool.close()

    async def process_response(self, request: Any, response: Any) -> Any:
        if _skip(request) or request.meta.get("ecomstat_rendered") or \
                not 200 <= response.status < 300 or not _is_html(response):
            return response
        reason = "always" if self.mode == "always" else needs_render(response.body)
        if reason is None:
            return response
        self.stats.inc_value(f"ecomstat/render/reason/{reason}")
        request.meta["ecomstat_rendered"] = True
        request.meta["ecomstat_render_reason"] = reason
        headers = {name.decode("latin-1"): b", ".join(values).decode("latin-1")
                   for name, values in response.headers.items()}
        job = RenderJob(response.url, response.status, headers, response.body,
                        self._fetch, self.limits)
        started = time.monotonic()
        try:
            async with self.pool.slot() as slot:
                job.timings["wait_ms"] = (time.monotonic() - started) * 1000
                html = await job.run(slot)
        except RenderTooLarge as exc:
            self.stats.inc_value("ecomstat/render/too-large")
            raise TooLarge(f"render of {response.url}: {exc}") from None
        except RenderTimedOut as exc:
            self.stats.inc_value("ecomstat/render/timeouts")
            raise TimedOut(f"render of {response.url}: {exc}") from None
        except Exception as exc:  # Chromium missing or gone: the page is not captured
            logger.error("render of %s failed: %s", response.url, exc)
            self.stats.inc_value("ecomstat/render/failures")
            raise OutcomeIgnore(f"render failed: {exc}", outcome=CONNECTION_ERROR) from None
        finally:
            self.stats.inc_value("ecomstat/render/ms", int((time.monotonic() - started) * 1000))
            for kind, count in job.blocked_counts.items():
                self.stats.inc_value(f"ecomstat/render/blocked/{kind}", count)
            for phase, value in job.timings.items():
                self.stats.inc_value(f"ecomstat/render/{phase}", int(value))
            # Chromium's start-up (in wait_ms of the renders that waited for it)
            self.stats.set_value("ecomstat/render/launches", self.pool.launches)
            self.stats.set_value("ecomstat/render/launch_ms", int(self.pool.launch_seconds * 1000))
        self.stats.inc_value("ecomstat/render/pages")
        headers_out = {name: values for name, values in response.headers.items()
                       if name.lower() not in (b"content-encoding", b"content-length",
                                               b"content-type", b"transfer-encoding")}
        headers_out[b"Content-Type"] = [b"text/html; charset=utf-8"]
        return HtmlResponse(url=response.url, status=response.status, headers=headers_out,
                            body=html, encoding="utf-8", request=request,
                            flags=[*response.flags, "rendered"],
                            ip_address=response.ip_address, protocol=response.protocol)

    async def _fetch(self, url: str, method: str, headers: dict[str, str], body: bytes | None,
                     budget: int) -> Fetched:
        """A page's script or API call, downloaded as any crawl request is (a script another
        render of this process loaded already: from the script cache)."""
        cached = self.scripts.get(method, url)
        if cached is not None:
            self.stats.inc_value("ecomstat/render/script-cache-hits")
            return cached
        maxsize = min(self.maxsize, budget) if self.maxsize else budget
        request = Request(url, method=method, headers=headers, body=body, dont_filter=True,
                          priority=100, meta={
                              "ecomstat_no_render": True, "ecomstat_any_content": True,
                              "ecomstat_vetted_url": url,  # not a link: no trap rules
                              "download_maxsize": maxsize,
                              "download_slot": self._subrequest_slot(url),
                              "autothrottle_dont_adjust_delay": True})
        try:
            response = await self.crawler.engine.download_async(request)
        except RefusedPrivate as exc:
            self.stats.inc_value("ecomstat/render/refused")
            logger.info("browser request refused: %s (%s)", url, exc)
            raise Refused(str(exc)) from None
        except IgnoreRequest as exc:  # robots.txt, traps, too many redirects, too large
            raise Refused(str(exc)) from None
        if 300 <= response.status < 400:
            raise Refused(f"redirect not followed: {url}")
        headers_out = {name.decode("latin-1"): b", ".join(values).decode("latin-1")
                       for name, values in response.headers.items()}
        fetched = Fetched(response.status, headers_out, response.body)
        self.scripts.put(method, url, fetched)
        return fetched

    def _subrequest_slot(self, url: str) -> str:
        """The download slot of a rendered page's own scripts and API calls: one per site beside
        the site's page slot. In the site's slot they queued behind the site's page fetches and
        its download delay, while the render held a browser page idle (a browser loads a page's
        resources at once). They still pass every downloader middleware (private-address rule,
        robots.txt, size caps); a robots.txt Crawl-delay is applied to this slot too
        (PoliteRobotsTxtMiddleware), AutoThrottle does not raise its delay."""
        key = f"{urlsplit(url).hostname or ''} render"
        slots = self.crawler.engine.downloader.slots
        if key not in slots:
            slot = Slot(SUBREQUEST_CONCURRENCY, 0.0, 0.0)
            # not collected as idle before its first request (Scrapy's clock is monotonic())
            slot.lastseen = time.monotonic()
            slots[key] = slot
        return key


def crawl_processes(crawler: Any) -> int:
    """How many crawl processes share this machine: the spider's shard K/N (spiders.crawl
    starts N processes with shard=K/N), else 1."""
    shard = getattr(getattr(crawler, "spider", None), "shard", None)
    try:
        return max(1, int(shard[1])) if shard else 1
    except (TypeError, ValueError, IndexError):
        return 1


def _is_html(response: Any) -> bool:
    content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
    if content_type and content_type not in HTML_TYPES:
        return False
    return not looks_binary(response.body[:4096])


def _skip(request: Any) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt") or request.meta.get("ecomstat_no_render"))
