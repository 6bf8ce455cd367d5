"""Python's cyclic garbage collector, tuned for a crawl process.

A crawl process holds ~190,000 objects once Scrapy, Twisted, the language model and the URL
suffix list are loaded, and allocates a few hundred more per page (requests, responses,
Deferreds, items). With Python's default thresholds (700, 10, 10) the collector ran ~950
times per 2,000 pages and its 7 full collections traversed every one of those start-up objects
each time: 0.86-0.94 s of a crawl process's ~5.4 s of CPU on the sample web, 0.26-0.29 s with
this tuning, and the crawl's CPU 15% lower (bench/README.md, "Garbage collector tuned in the
crawl processes"). Reference counting frees almost everything
a page allocates; the collector is only needed for reference cycles (Twisted Failures and
their tracebacks, mostly), which can wait for a larger young generation.

When the engine starts, `GcTuning` collects once, moves every object alive then into the
permanent generation (`gc.freeze()`: the start-up objects live for the whole crawl; full
collections no longer walk them) and sets the thresholds of ECOMSTAT_CRAWL_GC_THRESHOLD.
An empty setting leaves the collector as Python set it (NotConfigured).
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from ecomstat.errors import ConfigurationError

logger = logging.getLogger(__name__)

SETTING = "ECOMSTAT_CRAWL_GC_THRESHOLD"
MAX_THRESHOLD = 1_000_000  # beyond this the young generation holds a crawl's cyclic garbage too long


def parse_thresholds(value: Any) -> tuple[int, ...]:
    """`"10000,10,10"` -> (10000, 10, 10); "" -> () (Python's own thresholds). One to three
    whole numbers, each at least 1 (a first threshold of 0 would switch the collector off)."""
    if isinstance(value, (list, tuple)):
        parts = [str(part).strip() for part in value]
    else:
        parts = [part.strip() for part in str(value or "").split(",")]
    parts = [part for part in parts if part]
    if not parts:
        return ()
    try:
        numbers = tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigurationError(
            f"{SETTING} must be up to 3 whole numbers like 10000,10,10, got {value!r}") from None
    if len(numbers) > 3 or any(n < 1 or n > MAX_THRESHOLD for n in numbers):
        raise ConfigurationError(
            f"{SETTING} must be 1 to 3 whole numbers between 1 and {MAX_THRESHOLD:,}, got {value!r}")
    return numbers


class GcTuning:
    """Freezes the start-up objects and sets the collector's thresholds at engine start; the
    crawl stats get `ecomstat/gc/frozen_objects` and, at the end, `ecomstat/gc/collections`."""

    def __init__(self, crawler: Any, thresholds: tuple[int, ...]) -> None:
        self.crawler = crawler
        self.thresholds = thresholds
        self._collections_at_start = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> GcTuning:
        thresholds = parse_thresholds(crawler.settings.get(SETTING))
        if not thresholds:
            raise NotConfigured(f"{SETTING} is empty: Python's own collector thresholds")
        extension = cls(crawler, thresholds)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def engine_started(self) -> None:
        gc.collect()
        gc.freeze()
        gc.set_threshold(*self.thresholds)
        self._collections_at_start = _collections()
        self.crawler.stats.set_value("ecomstat/gc/frozen_objects", gc.get_freeze_count())
        logger.debug("gc: %d objects frozen, thresholds %s", gc.get_freeze_count(),
                     self.thresholds)

    def spider_closed(self) -> None:
        self.crawler.stats.set_value("ecomstat/gc/collections",
                                     _collections() - self._collections_at_start)


def _collections() -> int:
    return sum(generation["collections"] for generation in gc.get_stats())
