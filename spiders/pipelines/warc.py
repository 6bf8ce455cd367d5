"""Writes each page's raw response to the run's gzipped WARC file and puts file + offset on the
item; the raw bytes are dropped from the item afterwards."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from spiders.items import PageItem
from spiders.warc import WarcFileWriter


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
        if self.writer is not None:
            self.writer.close()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem) and item.raw_body is not None and self.writer is not None:
            item.warc_offset = self.writer.write_response(
                item.final_url or item.url, item.http_status or 200, item.raw_headers or [],
                item.raw_body, rendered=item.rendered)
            item.warc_file = str(self.writer.path)
            self.crawler.stats.inc_value("ecomstat/warc/records")
            item.raw_body = None
            item.raw_headers = None
        return item

    def flush(self) -> None:
        """Make written records durable before the store points at them."""
        if self.writer is not None:
            self.writer.flush()
