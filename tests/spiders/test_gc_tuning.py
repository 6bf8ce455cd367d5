"""The crawl process's garbage-collector tuning (spiders.gc_tuning): the setting's parsing, the
extension on a Scrapy crawler, a bad value refused before any crawl starts, and a real crawl
recording what it froze."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler
from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.errors import ConfigurationError
from ecomstat.spiders.gc_tuning import GcTuning, parse_thresholds
from ecomstat.spiders.settings import scrapy_settings
from ecomstat.settings import get_settings
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun
from spider_testweb import MiniWeb, site_host, write_lines


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.parametrize("value,expected", [
    ("10000,10,10", (10000, 10, 10)), (" 5000 , 20 ", (5000, 20)), ("700", (700,)),
    ("", ()), (None, ()), ([2000, 5, 5], (2000, 5, 5)),
])
def test_thresholds_parse(value: object, expected: tuple[int, ...]) -> None:
    assert parse_thresholds(value) == expected


@pytest.mark.parametrize("value", ["0", "0,10,10", "10,-1", "1e4", "ten", "1,2,3,4", "2000000",
                                   "nan", "inf"])
def test_bad_thresholds_are_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^ECOMSTAT_CRAWL_GC_THRESHOLD"):
        parse_thresholds(value)


def test_empty_setting_leaves_the_collector_alone() -> None:
    crawler = get_crawler(settings_dict={"ECOMSTAT_CRAWL_GC_THRESHOLD": []})
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(crawler)


def test_engine_start_freezes_and_sets_thresholds(restored_gc: None) -> None:
    crawler = get_crawler(settings_dict={"ECOMSTAT_CRAWL_GC_THRESHOLD": [12345, 7, 9]})
    extension = GcTuning.from_crawler(crawler)
    extension.engine_started()
    assert gc.get_threshold() == (12345, 7, 9)
    assert crawler.stats.get_value("ecomstat/gc/frozen_objects") == gc.get_freeze_count() > 1000
    gc.collect()
    extension.spider_closed()
    assert crawler.stats.get_value("ecomstat/gc/collections") >= 1


def test_scrapy_settings_carry_the_parsed_value() -> None:
    assert scrapy_settings(get_settings())["ECOMSTAT_CRAWL_GC_THRESHOLD"] == [10000, 10, 10]
    off = get_settings(ECOMSTAT_CRAWL_GC_THRESHOLD="")
    assert scrapy_settings(off)["ECOMSTAT_CRAWL_GC_THRESHOLD"] == []


def _runs(db_url: str) -> list[CrawlRun]:
    engine = make_engine(db_url)
    with transaction(engine) as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    engine.dispose()
    return runs


def test_bad_value_stops_the_command_before_a_run(
    sqlite_url: str, crawl_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECOMSTAT_CRAWL_GC_THRESHOLD", "0")
    urls = write_lines(crawl_env / "urls.txt", [f"http://{site_host(0)}/"])
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls)])
    assert result.exit_code == 2  # bad input, as every ConfigurationError
    assert "ECOMSTAT_CRAWL_GC_THRESHOLD" in result.output and "Traceback" not in result.output
    assert _runs(sqlite_url) == []


def test_a_crawl_records_what_it_froze(
    sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = [site_host(0), site_host(1)]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    urls = write_lines(crawl_env / "urls.txt", [f"http://{host}/" for host in hosts])
    for value in ("10000,10,10", ""):
        monkeypatch.setenv("ECOMSTAT_CRAWL_GC_THRESHOLD", value)
        result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls),
                                          "--processes", "1"])
        assert result.exit_code == 0, result.output
    tuned, untuned = _runs(sqlite_url)
    assert tuned.status == untuned.status == "finished" and tuned.pages == untuned.pages > 0
    # the crawl process froze its start-up objects (Scrapy, Twisted, the language model)
    assert tuned.stats["ecomstat/gc/frozen_objects"] > 10_000
    assert tuned.stats["ecomstat/gc/collections"] >= 0
    assert "ecomstat/gc/frozen_objects" not in untuned.stats
