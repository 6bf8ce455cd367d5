"""The hostile web: every bad behaviour ends with a recorded outcome, within the crawl's bounds."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import HOSTILE, MiniWeb, write_lines
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun, Page, SiteVisit, Website

EXPECTED_HOME_OUTCOME = {
    "redirect-loop": "too-many-redirects",
    "calendar": "ok",
    "huge": "too-large",
    "trickle": "timeout",
    "error500": "http-error",
    "charset": "ok",
    "binary": "not-html",
    "broken": "ok",
    "robots5xx": "robots-denied",
    "reset": "connection-error",
    "pdf": "not-html",
}
MAX_PAGES = 10


def test_hostile_hosts_end_with_outcomes(sqlite_url: str, miniweb: MiniWeb, crawl_env: Path,
                                         monkeypatch) -> None:
    assert set(EXPECTED_HOME_OUTCOME) == set(HOSTILE)
    hosts = [f"{name}.example.test" for name in HOSTILE]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_TIMEOUT", "3")
    urls = write_lines(crawl_env / "urls.txt", [f"http://{host}/" for host in hosts] +
                       ["http://huge.example.test/chunked"])
    started = time.monotonic()
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls),
                                      "--max-pages", str(MAX_PAGES)])
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 240  # bounded: the trickle and the 50 MB body were cut off
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        visits = {url: visit for url, visit in session.execute(
            select(Website.url, SiteVisit).join(SiteVisit, SiteVisit.website_id == Website.id))}
        pages = session.execute(select(Website.url, Page).join(
            Page, Page.website_id == Website.id)).all()
    engine.dispose()
    assert run.status == "finished" and run.sites_done == len(hosts) + 1
    for name, outcome in EXPECTED_HOME_OUTCOME.items():
        assert visits[f"http://{name}.example.test/"].outcome == outcome, name
    assert visits["http://huge.example.test/chunked"].outcome == "too-large"
    by_site: dict[str, list[Page]] = {}
    for url, page in pages:
        by_site.setdefault(url, []).append(page)
    assert all(len(site_pages) <= MAX_PAGES for site_pages in by_site.values())
    calendar_pages = by_site["http://calendar.example.test/"]
    assert not any("/agenda/" in page.url for page in calendar_pages)
    assert (run.stats or {}).get("ecomstat/outcome/trap", 0) >= 1
    charset_page = by_site["http://charset.example.test/"][0]
    assert "Bäckerei" in charset_page.title and "Brötchen" in charset_page.text
    broken_page = by_site["http://broken.example.test/"][0]
    assert broken_page.title.startswith("Broken") and "cell" in broken_page.text
    assert run.outcomes["too-large"] == 2 and run.outcomes["ok"] == 3


def test_crawl_opens_no_remote_control_or_telnet_door() -> None:
    """Scrapy's code-running remote control (2.19+) and telnet console stay off in a crawl."""
    import pytest
    from scrapy import Spider
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from ecomstat.settings import get_settings
    from ecomstat.spiders.settings import scrapy_settings

    settings = scrapy_settings(get_settings())
    assert settings["REMOTE_CONTROL_ENABLED"] is False
    assert settings["TELNETCONSOLE_ENABLED"] is False
    crawler = get_crawler(Spider, settings_dict=dict(settings))
    try:
        from scrapy.extensions.remote_control import RemoteControl
    except ImportError:  # Scrapy before 2.19 has no remote control
        return
    with pytest.raises(NotConfigured):
        RemoteControl.from_crawler(crawler)
