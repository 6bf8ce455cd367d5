"""Run bookkeeping extension: warns about an unset contact URL, and when the spider closes writes
the run's status (finished / interrupted / failed), end time, outcome counts and the crawl stats
(`ecomstat/render/pages`, `ecomstat/outcome/robots-denied`, ...) to its crawl_run row."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from spiders.runs import finish_batch, finish_run, pending_count
from store import make_engine

logger = logging.getLogger(__name__)

KEPT_SCRAPY_STATS = (
    "downloader/request_count", "downloader/response_count", "downloader/response_bytes",
    "item_scraped_count", "elapsed_time_seconds", "robotstxt/forbidden", "retry/count",
    "finish_reason", "memusage/max", "memusage/startup",
)


def status_for(reason: str | None) -> str:
    if reason == "finished":
        return "finished"
    if reason in ("shutdown", "cancelled"):
        return "interrupted"
    return "failed"


class RunStatsExtension:
    def __init__(self, crawler: Any, db_url: str) -> None:
        self.crawler = crawler
        self.db_url = db_url

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunStatsExtension:
        db_url = crawler.settings.get("ECOMSTAT_DATABASE_URL")
        if not db_url:
            raise NotConfigured("no ECOMSTAT_DATABASE_URL")
        extension = cls(crawler, db_url)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        if not self.crawler.settings.get("ECOMSTAT_CONTACT_URL"):
            logger.warning(
                "ECOMSTAT_CONTACT_URL is not set: the User-Agent carries no contact address; "
                "site owners cannot reach the crawl's operator")

    def spider_closed(self, spider: Any, reason: str) -> None:
        run_id = getattr(spider, "run_id", None)
        if run_id is None:
            return
        all_stats = self.crawler.stats.get_stats()
        stats = {key: value for key, value in all_stats.items()
                 if key.startswith("ecomstat/") or key in KEPT_SCRAPY_STATS}
        stats = {key: (value.isoformat() if hasattr(value, "isoformat") else value)
                 for key, value in stats.items()}
        error = getattr(spider, "fatal_error", None)
        engine = make_engine(self.db_url)
        try:
            if getattr(spider, "website_ids", None) is not None:
                # one batch of a distributed run: the run ends when its last site is done
                finish_batch(engine, int(run_id), stats=stats)
            else:
                status = status_for(reason)
                left = pending_count(engine, int(run_id))
                if status == "finished" and left:
                    # e.g. a store write failed: say so, and let --resume pick the sites up
                    status = "failed"
                    error = error or f"{left} sites were not stored; see the crawl log"
                finish_run(engine, int(run_id), status, stats=stats, error=error)
        finally:
            engine.dispose()
