"""Scrapy settings built from `ecomstat.settings` (ECOMSTAT_* names -> Scrapy names).

`scrapy crawl` loads this module (scrapy.cfg); `spiders.run` calls `scrapy_settings()` with the
overrides of a run. Every project component is listed here and turns itself off with
NotConfigured when its ECOMSTAT_* setting says so.
"""

from __future__ import annotations

import logging
from typing import Any

from ecomstat import __version__
from ecomstat.settings import Settings, get_settings
from ecomstat.spiders.gc_tuning import parse_thresholds
from ecomstat.spiders.render.browser import CHROMIUM_ARGS

__all__ = ["CHROMIUM_ARGS", "scrapy_settings", "user_agent"]

logger = logging.getLogger(__name__)


def user_agent(settings: Settings) -> str:
    contact = str(settings["ECOMSTAT_CONTACT_URL"]).strip()
    if not contact:
        return f"ecomstat/{__version__}"
    return f"ecomstat/{__version__} (+{contact})"


def scrapy_settings(settings: Settings | None = None) -> dict[str, Any]:
    """The Scrapy settings dict for `settings` (default: environment + DEFAULTS)."""
    from ecomstat.hostmap import load_host_map

    s = settings or get_settings()
    render = str(s["ECOMSTAT_RENDER"]).lower()
    host_map = load_host_map(str(s["ECOMSTAT_HOST_MAP"]))
    delay = s.getfloat("ECOMSTAT_DOWNLOAD_DELAY")
    per_domain = s.getint("ECOMSTAT_CONCURRENT_PER_DOMAIN")
    slots: dict[str, dict[str, Any]] = {}
    if s.getbool("ECOMSTAT_RELAX_MAPPED_DELAYS"):
        # The loopback sample web only: its hosts get no delay; real hosts keep theirs.
        slots = {host: {"delay": 0.0, "concurrency": per_domain} for host in host_map}
    result: dict[str, Any] = {
        "BOT_NAME": "ecomstat",
        "SPIDER_MODULES": ["ecomstat.spiders.spiders"],
        "NEWSPIDER_MODULE": "ecomstat.spiders.spiders",
        "USER_AGENT": user_agent(s),
        "ROBOTSTXT_OBEY": s.getbool("ECOMSTAT_OBEY_ROBOTS"),
        "CONCURRENT_REQUESTS": s.getint("ECOMSTAT_CONCURRENT_REQUESTS"),
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_domain,
        "CONCURRENT_ITEMS": 8,  # DESIGN.md: ~45% more pages/s than the default 100
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_SLOTS": slots,
        "AUTOTHROTTLE_ENABLED": s.getbool("ECOMSTAT_AUTOTHROTTLE"),
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.5),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(per_domain),
        "DOWNLOAD_TIMEOUT": s.getint("ECOMSTAT_DOWNLOAD_TIMEOUT"),
        "DOWNLOAD_MAXSIZE": s.getint("ECOMSTAT_MAX_RESPONSE_BYTES"),
        "DOWNLOAD_WARNSIZE": 0,
        "URLLENGTH_LIMIT": s.getint("ECOMSTAT_MAX_URL_LENGTH"),
        "REDIRECT_MAX_TIMES": s.getint("ECOMSTAT_MAX_REDIRECTS"),
        "RETRY_TIMES": 1,
        "HTTPERROR_ALLOW_ALL": True,  # a 404/500 is an outcome to record, not an exception
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19's remote control: an HTTP server on localhost that runs Python code sent
        # to it (token in a job file) and imports aiohttp; a crawler of hostile sites keeps
        # no such door open
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": str(s["ECOMSTAT_CRAWL_LOG_LEVEL"]).upper(),
        "DNS_TIMEOUT": 10,
        "REACTOR_THREADPOOL_MAXSIZE": 10,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        # a development aid that re-reads the callback's source (ast) for short-lived bound
        # methods; our callbacks return nothing
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "ROBOTSTXT_USER_AGENT": "ecomstat",
        "DOWNLOADER_MIDDLEWARES": {
            # ours: safety first (before robots.txt so a refused host is never contacted)
            "ecomstat.spiders.middlewares.hostmap.HostMapMiddleware": 50,
            "ecomstat.spiders.middlewares.safety.PrivateAddressMiddleware": 60,
            "ecomstat.spiders.middlewares.traps.TrapMiddleware": 70,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "ecomstat.spiders.middlewares.robots.PoliteRobotsTxtMiddleware": 100,
            "ecomstat.spiders.middlewares.content.ContentTypeMiddleware": 120,
            # renders in process_response, after redirects and decompression, before the type check
            "ecomstat.spiders.middlewares.render.RenderMiddleware": 130,
            # per-request work the spider already does (same-site filter) or never needs
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
        },
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,  # the spider tracks depth
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,  # trap rule instead
            # a development aid (warns about copied meta keys); our spiders build fresh meta
            "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
        },
        "ITEM_PIPELINES": {
            "ecomstat.spiders.pipelines.warc.WarcPipeline": 100,
            "ecomstat.spiders.pipelines.store.StorePipeline": 500,
        },
        "EXTENSIONS": {
            # before RunStatsExtension: its stats at spider close reach the run's row
            "ecomstat.spiders.gc_tuning.GcTuning": 400,
            "ecomstat.spiders.extensions.RunStatsExtension": 500,
        },
        # the downloader's own lookups refuse private answers too (no DNS-rebinding window)
        "TWISTED_DNS_RESOLVER": "ecomstat.spiders.resolver.SafeResolver",
        # ecomstat values the components read (Scrapy ignores unknown names)
        "ECOMSTAT_DATABASE_URL": s.database_url,
        "ECOMSTAT_DATA_DIR": str(s["ECOMSTAT_DATA_DIR"]),
        "ECOMSTAT_HOST_MAP": str(s["ECOMSTAT_HOST_MAP"]),
        "ECOMSTAT_ALLOW_PRIVATE_HOSTS": s.getlist("ECOMSTAT_ALLOW_PRIVATE_HOSTS"),
        "ECOMSTAT_RELAX_MAPPED_DELAYS": s.getbool("ECOMSTAT_RELAX_MAPPED_DELAYS"),
        "ECOMSTAT_MAX_PAGES": s.getint("ECOMSTAT_MAX_PAGES"),
        "ECOMSTAT_MAX_DEPTH": s.getint("ECOMSTAT_MAX_DEPTH"),
        "ECOMSTAT_MAX_TEXT_CHARS": s.getint("ECOMSTAT_MAX_TEXT_CHARS"),
        "ECOMSTAT_MAX_SHOP_PAGES": s.getint("ECOMSTAT_MAX_SHOP_PAGES"),
        "ECOMSTAT_MAX_SHOP_DEPTH": s.getint("ECOMSTAT_MAX_SHOP_DEPTH"),
        "ECOMSTAT_PREFERRED_LANGUAGES": s.getlist("ECOMSTAT_PREFERRED_LANGUAGES"),
        "ECOMSTAT_RENDER": render,
        "ECOMSTAT_CONTACT_URL": str(s["ECOMSTAT_CONTACT_URL"]),
        # parsed here so that a bad value stops the command before any crawl process starts
        "ECOMSTAT_CRAWL_GC_THRESHOLD": list(parse_thresholds(s["ECOMSTAT_CRAWL_GC_THRESHOLD"])),
    }
    if host_map:
        # mapped hosts share one proxy address: keep enough pooled connections to it
        result["DOWNLOAD_HANDLERS"] = {"http": "ecomstat.spiders.handlers.PooledHTTP11DownloadHandler"}
    if render in ("auto", "always"):
        # Chromium is ours (spiders.render): it fetches nothing itself, Scrapy fetches for it
        result.update({
            "ECOMSTAT_CHROMIUM_PATH": str(s["ECOMSTAT_CHROMIUM_PATH"]),
            "ECOMSTAT_CHROMIUM_ARGS": list(CHROMIUM_ARGS),
            "ECOMSTAT_RENDER_CONCURRENCY": s.getint("ECOMSTAT_RENDER_CONCURRENCY"),
            "ECOMSTAT_RENDER_TIMEOUT": s.getfloat("ECOMSTAT_RENDER_TIMEOUT"),
            "ECOMSTAT_RENDER_MAX_BYTES": s.getint("ECOMSTAT_RENDER_MAX_BYTES"),
            "ECOMSTAT_RENDER_MAX_DOM_BYTES": s.getint("ECOMSTAT_RENDER_MAX_DOM_BYTES"),
            "ECOMSTAT_RENDER_RECYCLE": s.getint("ECOMSTAT_RENDER_RECYCLE"),
        })
    return result


# Module-level names for `scrapy crawl` (scrapy.cfg -> spiders.settings).
globals().update(scrapy_settings())
