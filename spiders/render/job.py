"""One page rendered in a pooled Chromium page, with every request it makes under our control.

The navigation is fulfilled from the response Scrapy already fetched (no second fetch, no
redirect Chromium could follow). Scripts and API calls (script, xhr, fetch) are fetched by the
caller's `fetch` (Scrapy's downloader: the private-address rule, robots.txt, size caps, each
redirect hop checked again) and fulfilled; everything else is aborted: images, fonts, media and
stylesheets cannot change the text, frames and later navigations would leave the page, and what
routing cannot see is stopped by the browser's launch flags (spiders.render.browser).

The render ends when nothing the page asked for is pending (counted both in the page, from the
script's fetch()/XHR call on, and in our routing) and neither the DOM nor those requests changed
for `settle_ms` (a MutationObserver), or after `wait_s`; the whole render is bounded by
`timeout_s`. Where a render's time goes is in `timings` (stats ecomstat/render/*_ms).
The bytes fulfilled and the size of the rendered DOM are capped (too-large).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urlsplit

from ecomstat.spiders.render.browser import Slot, quietly

logger = logging.getLogger(__name__)

FETCHED_RESOURCES = frozenset({"script", "xhr", "fetch"})
# not forwarded to Chromium: Scrapy already decoded the body, and cookies are off
DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding",
                             "connection", "keep-alive", "set-cookie", "set-cookie2"})
# forwarded from Chromium's request to Scrapy's (our User-Agent, no cookies)
FORWARDED_HEADERS = frozenset({"accept", "accept-language", "content-type", "x-requested-with"})

# Resolves once none of the page's fetch/XHR calls is in flight (counted in the page itself by
# spiders.render.browser.PENDING_JS, so a call the script has made but whose request has not yet
# reached our routing counts too) and neither the document nor those calls changed for `settle`
# ms; or after `limit` ms.
QUIET_JS = """([settle, limit]) => new Promise(resolve => {
  const start = performance.now();
  let last = start;
  const observer = new MutationObserver(() => { last = performance.now(); });
  observer.observe(document, {subtree: true, childList: true, attributes: true,
                              characterData: true});
  const tick = () => {
    const now = performance.now();
    const pending = window.__ecomstatPending || 0;
    const quiet = now - Math.max(last, window.__ecomstatLast || 0);
    if (now - start >= limit || (pending === 0 && quiet >= settle)) {
      observer.disconnect(); resolve(true); return;
    }
    setTimeout(tick, pending ? 20 : Math.max(5, settle - quiet));
  };
  setTimeout(tick, settle);
})"""
# What page.content() returns, without its own retry-forever on a navigation in flight; a DOM
# longer than `limit` characters comes back as its length only (one serialisation, one round
# trip, and no oversized string through the protocol).
CONTENT_JS = """(limit) => { let html = '';
  if (document.doctype) html = new XMLSerializer().serializeToString(document.doctype);
  if (document.documentElement) html += document.documentElement.outerHTML;
  return html.length > limit ? html.length : html; }"""


@dataclass(frozen=True)
class RenderLimits:
    max_bytes: int  # fulfilled per page (navigation + scripts + API answers)
    max_dom_bytes: int  # the rendered HTML
    timeout_s: float  # the whole render
    wait_s: float  # the longest wait for the DOM to settle
    settle_ms: int  # a DOM this long unchanged (and nothing pending) is settled


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


class Refused(Exception):
    """A sub-request the crawl's rules refused (private address, robots.txt, trap)."""


class RenderTooLarge(Exception):
    pass


class RenderTimedOut(Exception):
    pass


Fetch = Callable[[str, str, dict[str, str], bytes | None, int], Awaitable[Fetched]]


def browser_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items()
            if name.lower() not in DROPPED_HEADERS}


class RenderJob:
    def __init__(self, url: str, status: int, headers: dict[str, str], body: bytes,
                 fetch: Fetch, limits: RenderLimits) -> None:
        self.url = urldefrag(url)[0]
        self.status = status
        self.headers = browser_headers(headers)
        self.body = body
        self.fetch = fetch
        self.limits = limits
        self.page: Any = None
        self.navigated = False
        self.pending = 0
        self.last_activity = 0.0
        self.fulfilled_bytes = 0
        self.too_large = False
        self.blocked_counts: dict[str, int] = {}
        # where the render's time went (ms): stats ecomstat/render/<phase>_ms
        self.timings: dict[str, float] = {}

    def blocked(self, kind: str) -> None:
        self.blocked_counts[kind] = self.blocked_counts.get(kind, 0) + 1

    async def run(self, slot: Slot) -> bytes:
        """The rendered HTML (UTF-8); RenderTooLarge / RenderTimedOut otherwise."""
        self.page = slot.page
        slot.handler = self
        try:
            return await asyncio.wait_for(self._render(slot.page), self.limits.timeout_s)
        except asyncio.TimeoutError:
            slot.broken = True
            raise RenderTimedOut(f"render took more than {self.limits.timeout_s:g} s") from None
        except RenderTooLarge:
            slot.broken = True
            raise
        except Exception as exc:  # playwright.Error: the tab crashed, the browser went away
            slot.broken = True
            if "crash" in str(exc).lower():
                # the renderer's heap is capped: a page that crashed it was too large
                raise RenderTooLarge(f"the page crashed its renderer: {exc}") from None
            raise
        finally:
            slot.handler = None  # the pool closes a broken page

    async def _render(self, page: Any) -> bytes:
        loop = asyncio.get_running_loop()
        started = self.last_activity = loop.time()
        self.fulfilled_bytes = len(self.body)
        if self.fulfilled_bytes > self.limits.max_bytes:
            raise RenderTooLarge(f"page of {self.fulfilled_bytes} bytes")
        # No timeout of its own: the render's (run) ends it, as a timeout outcome. Not "load":
        # an async script still on its way is waited for below, up to wait_s, not for ever.
        await page.goto(self.url, wait_until="domcontentloaded", timeout=0)
        loaded = loop.time()
        self.timings["goto_ms"] = (loaded - started) * 1000
        deadline = loaded + self.limits.wait_s
        settle = self.limits.settle_ms / 1000
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await _evaluate(page, QUIET_JS, [self.limits.settle_ms, int(remaining * 1000)])
            if self.too_large:
                break
            if self.pending == 0 and loop.time() - self.last_activity >= settle:
                break
        settled = loop.time()
        self.timings["settle_ms"] = (settled - loaded) * 1000
        if self.too_large:
            raise RenderTooLarge(f"more than {self.limits.max_bytes} bytes fulfilled")
        content = await _evaluate(page, CONTENT_JS, self.limits.max_dom_bytes)
        if not isinstance(content, str):
            raise RenderTooLarge(f"rendered DOM of {content} characters")
        html = content.encode("utf-8")
        if len(html) > self.limits.max_dom_bytes:
            raise RenderTooLarge(f"rendered DOM of {len(html)} bytes")
        self.timings["content_ms"] = (loop.time() - settled) * 1000
        return html

    async def on_route(self, route: Any) -> None:
        request = route.request
        if request.is_navigation_request():
            if not self.navigated and _frame(request) == self.page.main_frame:
                self.navigated = True
                await quietly(route.fulfill(status=self.status, headers=self.headers,
                                             body=self.body))
                return
            self.blocked("navigation")  # frames, popups, the page leaving itself
            # ERR_ABORTED commits no error page: the rendered document stays
            await quietly(route.abort("aborted"))
            return
        if request.resource_type not in FETCHED_RESOURCES or \
                urlsplit(request.url).scheme not in ("http", "https"):
            await quietly(route.abort("blockedbyclient"))
            return
        loop = asyncio.get_running_loop()
        self.pending += 1
        asked = loop.time()
        try:
            budget = self.limits.max_bytes - self.fulfilled_bytes
            if budget <= 0:
                self.too_large = True
                raise Refused("byte budget of the page spent")
            headers = {name: value for name, value in request.headers.items()
                       if name.lower() in FORWARDED_HEADERS}
            fetched = await self.fetch(request.url, request.method, headers,
                                       request.post_data_buffer, budget)
            self.fulfilled_bytes += len(fetched.body)
            if self.fulfilled_bytes > self.limits.max_bytes:
                self.too_large = True
                raise Refused("byte budget of the page spent")
        except Refused:
            await quietly(route.abort("blockedbyclient"))
            return
        except Exception as exc:  # a failed download: the page goes on without it
            logger.debug("sub-request %s failed: %s", request.url, exc)
            await quietly(route.abort("failed"))
            return
        finally:
            self.pending -= 1
            self.last_activity = loop.time()
            self.timings["fetch_ms"] = self.timings.get("fetch_ms", 0.0) + \
                (self.last_activity - asked) * 1000
            self.timings["fetches"] = self.timings.get("fetches", 0) + 1
        await quietly(route.fulfill(status=fetched.status, headers=browser_headers(
            fetched.headers), body=fetched.body))


async def _evaluate(page: Any, script: str, arg: Any = None) -> Any:
    """page.evaluate, again when the page tried to navigate away (that navigation was aborted,
    its document stays) and the execution context was replaced meanwhile."""
    for attempt in range(5):
        try:
            return await page.evaluate(script, arg)
        except Exception as exc:
            if "context was destroyed" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.05)
    return None


def _frame(request: Any) -> Any:
    try:
        return request.frame
    except Exception:  # a service worker's request has no frame
        return None
