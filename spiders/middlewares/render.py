"""Render decision: a page goes through Chromium (scrapy-playwright) only when its HTML needs it:
near-empty visible text, an empty single-page-app root, or a <noscript> wall. `always` renders
every page, `never` turns this middleware off (and the browser is never started)."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from spiders.middlewares.safety import SafetyRule

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


SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})


class BrowserRequestFilter:
    """PLAYWRIGHT_ABORT_REQUEST: which of Chromium's own requests (scripts, fetch/XHR, frames,
    redirects of the page) are aborted. What cannot change the page's text is skipped, and so is
    every request to a host the safety rule refuses: a public page's script must not make the
    crawler's browser reach the intranet or loopback. Mapped hosts are checked at their mapped
    address, as Chromium reaches them (--host-resolver-rules). Left open: Chromium resolves names
    again itself, so a host whose DNS answer changes between the two lookups (DNS rebinding) is
    not caught here (Scrapy's own downloads are: spiders.resolver)."""

    def __init__(self, allowed: list[str], host_map: dict[str, str]) -> None:
        self.rule = SafetyRule(allowed)
        self.host_map = host_map

    async def __call__(self, request: Any) -> bool:
        if request.resource_type in SKIPPED_RESOURCES:
            return True
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https", "ws", "wss"):
            return False  # data:, blob:, about: never leave the browser
        host = (parts.hostname or "").rstrip(".").lower()
        addresses = await self.rule.addresses(host, self.host_map.get(host))
        if addresses is not None and self.rule.refuses(host, addresses):
            logger.info("browser request to a private address aborted: %s", request.url)
            return True
        return False  # an unresolvable name fails in Chromium as it would here


class RenderDecisionMiddleware:
    def __init__(self, mode: str, stats: Any) -> None:
        self.mode = mode
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> RenderDecisionMiddleware:
        mode = (crawler.settings.get("ECOMSTAT_RENDER") or "never").lower()
        if mode not in ("auto", "always"):
            raise NotConfigured("rendering off")
        return cls(mode, crawler.stats)

    def process_request(self, request: Any) -> None:
        if self.mode == "always" and not _skip(request) and not request.meta.get("playwright"):
            request.meta["playwright"] = True
            request.meta["playwright_page_goto_kwargs"] = {"wait_until": "networkidle"}
            request.meta.pop("proxy", None)
        return None

    def process_response(self, request: Any, response: Any) -> Any:
        if self.mode != "auto" or _skip(request) or request.meta.get("playwright"):
            return response
        if response.status != 200:
            return response
        reason = needs_render(response.body)
        if reason is None:
            return response
        self.stats.inc_value(f"ecomstat/render/reason/{reason}")
        meta = dict(request.meta)
        meta.pop("proxy", None)
        meta.pop("_auth_proxy", None)
        meta.pop("download_slot", None)
        meta["playwright"] = True
        # the catalogue of a single-page app usually arrives by fetch() after the load event
        meta["playwright_page_goto_kwargs"] = {"wait_until": "networkidle"}
        meta["ecomstat_render_reason"] = reason
        return request.replace(url=response.url, meta=meta, dont_filter=True)


def _skip(request: Any) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt") or request.meta.get("ecomstat_no_render"))
