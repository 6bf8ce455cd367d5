"""Run bookkeeping extension: warns about an unset contact URL, and when the spider closes writes
the run's status (finished / interrupted / failed), end time, outcome counts and the crawl stats
(`ecomstat/render/pages`, `ecomstat/outcome/robots-denied`, ...) to its crawl_run row, with
`ecomstat/cpu_seconds`: the crawl's CPU time (all threads) from spider open to close, and
`peak_rss_bytes`: the crawl process's peak resident memory (replaced, not added up, on resume)."""

from __future__ import annotations

import logging
import resource
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from ecomstat.spiders.livestats import LiveStats
from ecomstat.spiders.runs import finish_batch, finish_run, pending_count
from ecomstat.store import make_engine

logger = logging.getLogger(__name__)

KEPT_SCRAPY_STATS = (
    "downloader/request_count", "downloader/response_count", "downloader/response_bytes",
    "item_scraped_count", "elapsed_time_seconds", "robotstxt/forbidden", "retry/count",
    "finish_reason", "memusage/max", "memusage/startup", "peak_rss_bytes",
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
        self.cpu_at_open = 0.0
        self.reactor_cpu_at_open = 0.0
        self.live: LiveStats | None = None

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
        self.cpu_at_open = _process_cpu()
        self.reactor_cpu_at_open = time.thread_time()  # signals arrive on the reactor thread
        if not self.crawler.settings.get("ECOMSTAT_CONTACT_URL"):
            logger.warning(
                "ECOMSTAT_CONTACT_URL is not set: the User-Agent carries no contact address; "
                "site owners cannot reach the crawl's operator")
        run_id = getattr(spider, "run_id", None)
        if run_id is not None:  # live figures and heartbeat for `ecomstat crawl show`
            self.live = LiveStats(self.crawler, self.db_url, int(run_id))
            self.live.start()

    def spider_closed(self, spider: Any, reason: str) -> None:
        run_id = getattr(spider, "run_id", None)
        if run_id is None:
            return
        if self.live is not None:
            self.live.stop()
        # start-up excluded: the CPU cost of the crawl itself, comparable with elapsed_time
        self.crawler.stats.set_value("ecomstat/cpu_seconds",
                                     round(_process_cpu() - self.cpu_at_open, 3))
        # where it went: the reactor thread (Scrapy, parsing) and the writer thread (WARC,
        # store); the rest is other threads
        self.crawler.stats.set_value("ecomstat/cpu_seconds/reactor",
                                     round(time.thread_time() - self.reactor_cpu_at_open, 3))
        writer = getattr(self.crawler, "_ecomstat_writer", None)
        if writer is not None:
            self.crawler.stats.set_value("ecomstat/cpu_seconds/writer",
                                         round(writer.cpu_seconds, 3))
        # the true peak (Scrapy's memusage/max samples once a minute, so a short crawl's figure
        # is its start-up)
        self.crawler.stats.set_value("peak_rss_bytes",
                                     resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        all_stats = self.crawler.stats.get_stats()
        stats = {key: value for key, value in all_stats.items()
                 if key.startswith("ecomstat/") or key in KEPT_SCRAPY_STATS}
        stats = {key: (value.isoformat() if hasattr(value, "isoformat") else value)
                 for key, value in stats.items()}
        error = getattr(spider, "fatal_error", None)
        engine = make_engine(self.db_url)
        try:
            if getattr(spider, "website_ids", None) is not None \
                    or getattr(spider, "shard", None) is not None:
                # one batch of a distributed run, or one process's share of a local crawl: the
                # run ends when its last site is done
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


def _process_cpu() -> float:
    """This process's CPU time plus its ended children's."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total
