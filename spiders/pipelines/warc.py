"""Writes each page's raw response to the run's gzipped WARC file and puts file + offset on the
item; the raw bytes are dropped from the item afterwards. The record is written on the crawl's
writer thread (`spiders.pipelines.writer`), before any store batch submitted after it."""

from __future__ import annotations

import logging
import os
import time
from functools import partial
from pathlib import Path
from typing import Any

from ecomstat.spiders.items import PageItem
from ecomstat.spiders.pipelines.writer import writer_for
from ecomstat.store.warc import WarcFileWriter

logger = logging.getLogger(__name__)


class WarcPipeline:
    def __init__(self, crawler: Any, warc_dir: Path) -> None:
        self.crawler = crawler
        self.warc_dir = warc_dir
        self.writer: WarcFileWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcPipeline:
        data_dir = Path(crawler.settings.get("ECOMSTAT_DATA_DIR") or "ecomstat-data")
        return cls(crawler, (data_dir / "warc").resolve())

    def open_spider(self) -> None:
        run_id = getattr(self.crawler.spider, "run_id", None) or 0
        stamp = time.strftime("%Y%m%dT%H%M%S")
        name = f"run-{run_id}-{stamp}-{os.getpid()}.warc.gz"
        self.writer = WarcFileWriter(self.warc_dir / name)

    def close_spider(self) -> None:
        writer_for(self.crawler).close()  # queued records first
        if self.writer is not None:
            self.writer.close()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem) and item.raw_body is not None and self.writer is not None:
            item.warc_file = str(self.writer.path)
            writer_for(self.crawler).submit(partial(self._write, item), len(item.raw_body))
        return item

    def _write(self, item: PageItem) -> None:
        """On the writer thread: the record, its offset on the item, the body released."""
        writer = self.writer
        try:
            if writer is None:
                raise ValueError("the WARC file is not open")
            item.warc_offset = writer.write_response(
                item.final_url or item.url, item.http_status or 200, item.raw_headers or [],
                item.raw_body or b"", rendered=item.rendered)
            self.crawler.stats.inc_value("ecomstat/warc/records")
        except Exception as exc:  # disk full, warcio's own errors: the page row is still
            # stored, without a WARC pointer
            logger.error("WARC record of %s not written: %s", item.url, exc)
            self.crawler.stats.inc_value("ecomstat/warc/errors")
            item.warc_file = None
        finally:
            item.raw_body = None
            item.raw_headers = None

    def flush(self) -> None:
        """Make written records durable before the store points at them (writer thread)."""
        if self.writer is not None:
            self.writer.flush()
