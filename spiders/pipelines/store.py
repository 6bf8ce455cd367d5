"""Store writer: collects each site's pages until the site is done, then writes finished sites
in batches (one transaction per batch: pages upserted on (website, url), site visits done, website
status, run progress). A site is never half-written, so a killed run resumes cleanly.

The batches are written on the crawl's writer thread (`spiders.pipelines.writer`), after the
WARC records of their pages (submitted earlier, same thread) and an fsync of the WARC file. A
batch that fails (database gone for a moment) is retried with the next one; sites still unwritten
when the crawl ends stay pending, and the run is marked failed so that --resume crawls them.

The sites kept for a retry are bounded by bytes (`ECOMSTAT_STORE_RETRY_BYTES`), as the writer's
queue is: during a long outage they would otherwise pile up in memory until the crawl ends. When
the bound is passed the crawl stops (reason `store-unavailable`, the run fails, exit code 1): the
kept sites are dropped and stay pending, so --resume crawls them again once the database is
back."""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from functools import partial
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from ecomstat.spiders.items import PageItem, ProductItem, SiteDone
from ecomstat.spiders.pipelines.writer import writer_for
from ecomstat.settings import get_settings
from ecomstat.spiders.runs import SiteResult, write_sites
from ecomstat.store import make_engine

logger = logging.getLogger(__name__)

FLUSH_PAGES = 200
FLUSH_SECONDS = 1.0
STOP_REASON = "store-unavailable"


class StorePipeline:
    def __init__(self, crawler: Any, db_url: str, retry_bytes: int | None = None) -> None:
        self.crawler = crawler
        self.retry_bytes = retry_bytes if retry_bytes is not None else _retry_bytes(crawler)
        self.engine = make_engine(db_url)
        self.pages: dict[int, list[PageItem]] = defaultdict(list)
        self.done: dict[int, SiteDone] = {}
        self.ready: list[tuple[int, str, list[PageItem]]] = []
        self.ready_pages = 0
        self.last_flush = time.monotonic()
        self.products: list[ProductItem] = []
        self._unwritten: list[SiteResult] = []  # writer thread only: a failed batch, for retry
        self.stopping = False  # writer thread only: the bound was passed, the crawl is closing
        self._timer: Any = None  # flush_if_due every FLUSH_SECONDS while the spider runs

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        db_url = crawler.settings.get("ECOMSTAT_DATABASE_URL")
        if not db_url:
            raise NotConfigured("no ECOMSTAT_DATABASE_URL")
        pipeline = cls(crawler, db_url)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        return pipeline

    def spider_opened(self) -> None:
        # Finished sites are written when the next item arrives or the spider idles; while a
        # long render or a slow site holds the crawl, no item may come for minutes, and a kill
        # then would send finished sites back to pending. A timer writes them within ~1 s.
        from scrapy.utils.asyncio import create_looping_call

        self._timer = create_looping_call(self.flush_if_due)
        self._timer.start(FLUSH_SECONDS, now=False)

    def flush_if_due(self) -> None:
        if self.ready and time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    @property
    def run_id(self) -> int:
        return int(self.crawler.spider.run_id)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem):
            # the row is built on the writer thread, once the WARC record has its offset
            self.pages[item.website_id].append(item)
            self._maybe_ready(item.website_id)
        elif isinstance(item, SiteDone):
            self.done[item.website_id] = item
            self._maybe_ready(item.website_id)
        elif isinstance(item, ProductItem):
            self.products.append(item)
            if len(self.products) >= FLUSH_PAGES:
                self._flush_products()
        if self.ready_pages >= FLUSH_PAGES:
            self.flush()
        else:
            self.flush_if_due()
        return item

    def _maybe_ready(self, website_id: int) -> None:
        done = self.done.get(website_id)
        if done is None or len(self.pages.get(website_id, ())) < done.expected_pages:
            return
        pages = self.pages.pop(website_id, [])
        del self.done[website_id]
        self.ready.append((website_id, done.outcome, pages))
        self.ready_pages += len(pages)

    def flush(self) -> None:
        if self.ready:
            ready, self.ready, self.ready_pages = self.ready, [], 0
            writer_for(self.crawler).submit(partial(self._write_sites, ready))
        self.last_flush = time.monotonic()

    def _write_sites(self, ready: list[tuple[int, str, list[PageItem]]]) -> None:
        """On the writer thread: WARC records durable, then the sites in one transaction."""
        sites = self._unwritten + [SiteResult(website_id, outcome, [item.row() for item in items])
                                   for website_id, outcome, items in ready]
        if not sites:
            return
        warc = self._warc_pipeline()
        try:
            if warc is not None:
                warc.flush()  # records on disk before rows point at them
            write_sites(self.engine, self.run_id, sites)
        except Exception:
            self.crawler.stats.inc_value("ecomstat/store/errors")
            held = sum(_site_bytes(site) for site in sites)
            if held <= self.retry_bytes:
                logger.exception("storing %d sites failed; retried with the next batch",
                                 len(sites))
                self._unwritten = sites
                return
            logger.exception("storing %d sites failed and they hold %d bytes, more than "
                             "ECOMSTAT_STORE_RETRY_BYTES (%d): the store is unavailable; they "
                             "stay pending for --resume", len(sites), held, self.retry_bytes)
            self._unwritten = []
            self.crawler.stats.inc_value("ecomstat/store/dropped_sites", len(sites))
            self._stop_crawl(f"the store was unavailable: {len(sites)} sites could not be "
                             f"written ({held} bytes kept for a retry, more than "
                             f"ECOMSTAT_STORE_RETRY_BYTES); resume the run with --resume")
            return
        self._unwritten = []
        self.crawler.stats.inc_value("ecomstat/store/sites", len(sites))
        self.crawler.stats.inc_value("ecomstat/store/flushes")

    def _stop_crawl(self, error: str) -> None:
        """From the writer thread: close the spider on the reactor thread (once)."""
        if self.stopping:
            return
        self.stopping = True
        spider = self.crawler.spider
        spider.fatal_error = error  # recorded as the run's error (RunStatsExtension)
        from twisted.internet import reactor

        reactor.callFromThread(_close_spider, self.crawler, STOP_REASON)

    def _flush_products(self) -> None:
        if self.products:
            products, self.products = self.products, []
            writer_for(self.crawler).submit(partial(self._write_products, products))

    def _write_products(self, products: list[ProductItem]) -> None:
        from ecomstat.spiders.products import write_products

        write_products(self.engine, self.run_id, products)
        self.crawler.stats.inc_value("ecomstat/store/products", len(products))

    def spider_idle(self) -> None:
        self.flush()
        self._flush_products()

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        reason = self.crawler.stats.get_value("finish_reason")
        if reason == "finished":
            # sites whose SiteDone never came (should not happen) are written with what arrived
            for website_id in list(self.done):
                self.done[website_id].expected_pages = 0
                self._maybe_ready(website_id)
        self.flush()
        self._flush_products()
        writer_for(self.crawler).submit(partial(self._write_sites, []))  # a last retry, if due
        writer_for(self.crawler).close()  # everything queued is written (or has failed)
        self.engine.dispose()

    def _warc_pipeline(self) -> Any:
        for component in self.crawler.engine.scraper.itemproc.middlewares:
            if hasattr(component, "flush") and component.__class__.__name__ == "WarcPipeline":
                return component
        return None


def _retry_bytes(crawler: Any) -> int:
    value = crawler.settings.get("ECOMSTAT_STORE_RETRY_BYTES")
    if value is None:  # not passed through the Scrapy settings: environment, then default
        return get_settings().getint("ECOMSTAT_STORE_RETRY_BYTES")
    return int(value)


def _site_bytes(site: SiteResult) -> int:
    """About the memory a site's rows hold (text, links, structured data dominate)."""
    total = 0
    for row in site.pages:
        for value in row.values():
            if isinstance(value, str | bytes):
                total += len(value)
            elif isinstance(value, list | dict):
                total += len(json.dumps(value, default=str))
            else:
                total += 8
    return total


def _close_spider(crawler: Any, reason: str) -> None:
    engine = crawler.engine
    if engine is None:
        return
    close = getattr(engine, "close_spider_async", None)
    if close is not None:  # Scrapy >= 2.14
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(close(reason=reason))
    else:
        engine.close_spider(crawler.spider, reason)
