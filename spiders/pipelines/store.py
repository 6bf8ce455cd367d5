"""Store writer: collects each site's pages until the site is done, then writes finished sites
in batches (one transaction per batch: pages upserted on (website, url), site visits done, website
status, run progress). A site is never half-written, so a killed run resumes cleanly."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from spiders.items import PageItem, ProductItem, SiteDone
from spiders.runs import SiteResult, write_sites
from store import make_engine

FLUSH_PAGES = 200
FLUSH_SECONDS = 1.0


class StorePipeline:
    def __init__(self, crawler: Any, db_url: str) -> None:
        self.crawler = crawler
        self.engine = make_engine(db_url)
        self.pages: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.done: dict[int, SiteDone] = {}
        self.ready: list[SiteResult] = []
        self.ready_pages = 0
        self.last_flush = time.monotonic()
        self.products: list[ProductItem] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        db_url = crawler.settings.get("ECOMSTAT_DATABASE_URL")
        if not db_url:
            raise NotConfigured("no ECOMSTAT_DATABASE_URL")
        pipeline = cls(crawler, db_url)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        return pipeline

    @property
    def run_id(self) -> int:
        return int(self.crawler.spider.run_id)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem):
            self.pages[item.website_id].append(item.row())
            self._maybe_ready(item.website_id)
        elif isinstance(item, SiteDone):
            self.done[item.website_id] = item
            self._maybe_ready(item.website_id)
        elif isinstance(item, ProductItem):
            self.products.append(item)
            if len(self.products) >= FLUSH_PAGES:
                self._flush_products()
        if self.ready_pages >= FLUSH_PAGES or (
            self.ready and time.monotonic() - self.last_flush >= FLUSH_SECONDS
        ):
            self.flush()
        return item

    def _maybe_ready(self, website_id: int) -> None:
        done = self.done.get(website_id)
        if done is None or len(self.pages.get(website_id, ())) < done.expected_pages:
            return
        pages = self.pages.pop(website_id, [])
        del self.done[website_id]
        self.ready.append(SiteResult(website_id, done.outcome, pages))
        self.ready_pages += len(pages)

    def flush(self) -> None:
        if self.ready:
            warc = self._warc_pipeline()
            if warc is not None:
                warc.flush()  # records on disk before rows point at them
            write_sites(self.engine, self.run_id, self.ready)
            self.crawler.stats.inc_value("ecomstat/store/sites", len(self.ready))
            self.crawler.stats.inc_value("ecomstat/store/flushes")
            self.ready = []
            self.ready_pages = 0
        self.last_flush = time.monotonic()

    def _flush_products(self) -> None:
        if self.products:
            from spiders.products import write_products

            write_products(self.engine, self.run_id, self.products)
            self.crawler.stats.inc_value("ecomstat/store/products", len(self.products))
            self.products = []

    def spider_idle(self) -> None:
        self.flush()
        self._flush_products()

    def close_spider(self) -> None:
        reason = self.crawler.stats.get_value("finish_reason")
        if reason == "finished":
            # sites whose SiteDone never came (should not happen) are written with what arrived
            for website_id in list(self.done):
                self.done[website_id].expected_pages = 0
                self._maybe_ready(website_id)
        self.flush()
        self._flush_products()
        self.engine.dispose()

    def _warc_pipeline(self) -> Any:
        for component in self.crawler.engine.scraper.itemproc.middlewares:
            if hasattr(component, "flush") and component.__class__.__name__ == "WarcPipeline":
                return component
        return None
