"""`ecomstat crawl shops --wave W`: the shop run belongs to wave W, like `crawl sites --wave`;
a bad wave and --resume with --wave are refused in one line (issue 17 item 1 leftover)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import MiniWeb
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun


def test_crawl_shops_runs_in_the_given_wave(sqlite_url: str, miniweb: MiniWeb, crawl_env: Path,
                                            monkeypatch) -> None:
    host = "jsonld-shop.example.test"
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", [host])))
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "shops", f"http://{host}/",
                                      "--max-pages", "1", "--wave", "2026-12"])
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    assert (run.spider, run.wave) == ("shop_listing", "2026-12")


def test_crawl_shops_refuses_a_bad_wave_in_one_line(sqlite_url: str) -> None:
    for argv, message in ((["http://a.test/", "--wave", "2026 Q4"], "wave '2026 Q4'"),
                          (["--resume", "--wave", "2026Q4"], "drop --wave")):
        result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "shops", *argv])
        assert result.exit_code == 2, (argv, result.output)
        assert message in result.stderr and "Traceback" not in result.output
