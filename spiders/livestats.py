"""The crawl process's side of `spiders.live`: every ECOMSTAT_LIVE_STATS_SECONDS, a timer on the
reactor takes a copy of the crawl stats and a thread writes them, with the process's memory and
its pages per second over the last interval, as this process's `crawl_run_process` row (its
heartbeat). Started and stopped by `RunStatsExtension`."""

from __future__ import annotations

import logging
import time
from typing import Any

from ecomstat.settings import get_settings
from ecomstat.spiders.live import beat, tree_rss_bytes
from ecomstat.store import make_engine

logger = logging.getLogger(__name__)

LIVE_PREFIXES = ("ecomstat/", "downloader/response_status_count/")
LIVE_KEYS = ("downloader/request_count", "downloader/response_count", "item_scraped_count")


def live_stats(all_stats: dict[str, Any]) -> dict[str, Any]:
    """The numeric stats worth showing while the run goes on."""
    return {key: value for key, value in all_stats.items()
            if (key.startswith(LIVE_PREFIXES) or key in LIVE_KEYS)
            and isinstance(value, (int, float)) and not isinstance(value, bool)}


class LiveStats:
    def __init__(self, crawler: Any, db_url: str, run_id: int,
                 interval: float | None = None) -> None:
        self.crawler = crawler
        self.run_id = run_id
        self.interval = interval if interval is not None else \
            get_settings().getfloat("ECOMSTAT_LIVE_STATS_SECONDS")
        self.engine = make_engine(db_url)
        self._loop: Any = None
        self._last: tuple[float, float] | None = None  # (monotonic time, pages) of the last beat
        self._writing = False

    def start(self) -> None:
        from twisted.internet import task

        if self.interval <= 0:
            return
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(self.interval, now=True)

    def _snapshot(self) -> dict[str, Any]:
        stats = live_stats(self.crawler.stats.get_stats())
        pages = float(stats.get("ecomstat/pages", 0))
        now = time.monotonic()
        rate = None
        if self._last is not None and now > self._last[0]:
            rate = round((pages - self._last[1]) / (now - self._last[0]), 3)
        self._last = (now, pages)
        return {"stats": stats, "pages_per_second": rate}

    def tick(self) -> Any:
        """On the reactor: copy the stats; the store write runs in a thread (a slow database
        must not stall the crawl). A beat still writing skips this one."""
        from twisted.internet import threads

        if self._writing:
            return None
        snapshot = self._snapshot()
        self._writing = True
        deferred = threads.deferToThread(self._write, snapshot, False)
        deferred.addErrback(lambda failure: logger.warning(
            "live figures of run %s not written: %s", self.run_id, failure.getErrorMessage()))
        deferred.addBoth(self._written)
        return None

    def _written(self, result: Any) -> Any:
        self._writing = False
        return None

    def _write(self, snapshot: dict[str, Any], closed: bool) -> None:
        beat(self.engine, self.run_id, stats=snapshot["stats"], rss_bytes=tree_rss_bytes(),
             pages_per_second=snapshot["pages_per_second"], closed=closed)

    def stop(self) -> None:
        """The spider closed: the last figures, and the process marked closed (synchronously,
        before the run is closed)."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            self._write(self._snapshot(), True)
        except Exception as exc:  # the run's own close still goes ahead
            logger.warning("last live figures of run %s not written: %s", self.run_id, exc)
        finally:
            self.engine.dispose()
