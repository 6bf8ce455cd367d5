"""`python -m spiders.run SPIDER --db URL [--run-id N] [--settings-json {...}] [-a name=value]`:
one crawl in this process (started by `spiders.runner`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from ecomstat.errors import EcomstatError
from ecomstat.settings import get_settings
from ecomstat.spiders.runner import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK


def build_settings(db_url: str, overrides: dict[str, Any]) -> dict[str, Any]:
    from ecomstat.spiders.settings import scrapy_settings

    ecomstat_overrides = {k: v for k, v in overrides.items() if k.startswith("ECOMSTAT_")}
    scrapy_overrides = {k: v for k, v in overrides.items() if not k.startswith("ECOMSTAT_")}
    settings = get_settings(ECOMSTAT_DATABASE_URL=db_url, **ecomstat_overrides)
    result = scrapy_settings(settings)
    result.update(scrapy_overrides)
    return result


def skip_disabled_log_records(level: str) -> None:
    """Scrapy filters by level in its root handler only (it resets the root logger to NOTSET
    when a crawler is created, and sets its own "scrapy" logger to DEBUG), so a DEBUG record
    per response and per item is still built and then dropped; logger levels skip building
    them. Output and log_count stats stay the same: both only ever saw records at LOG_LEVEL and
    above."""
    logging.root.setLevel(level.upper())
    scrapy_logger = logging.getLogger("scrapy")
    if scrapy_logger.getEffectiveLevel() < logging.root.level:
        scrapy_logger.setLevel(level.upper())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spiders.run")
    parser.add_argument("spider")
    parser.add_argument("--db", required=True)
    parser.add_argument("--run-id", type=int)
    parser.add_argument("--settings-json", default="{}")
    parser.add_argument("-a", dest="spider_args", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        overrides = json.loads(args.settings_json)
        spider_args = dict(arg.split("=", 1) for arg in args.spider_args)
        settings = build_settings(args.db, overrides)
    except (ValueError, EcomstatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(args.spider)
    if args.run_id is not None:
        spider_args["run_id"] = str(args.run_id)
    process.crawl(crawler, **spider_args)
    skip_disabled_log_records(str(settings.get("LOG_LEVEL") or "DEBUG"))
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    logging.getLogger(__name__).info("crawl ended: %s", reason)
    if reason == "finished":
        return EXIT_OK
    if reason in ("shutdown", "cancelled"):
        return EXIT_INTERRUPTED
    if reason == "bad-input":
        return EXIT_BAD_INPUT
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
