"""The render path's speed rules (issue 13): a render ends once the page's own calls are done
and its DOM is settled, not before; the page's scripts and API calls do not queue behind the
site's page fetches and download delay; a shop's script is downloaded once for all its pages;
the page pool is sized over the crawl's processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.spiders.render.browser import CHROMIUM_ARGS, BrowserPool, default_concurrency
from ecomstat.spiders.render.cache import ScriptCache
from ecomstat.spiders.render.job import Fetched, RenderJob, RenderLimits
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun, Page
from spider_testweb import MiniWeb, write_lines

SHELL = (b"<!DOCTYPE html><html><head><title>Shop</title>"
         b"<script type='module' src='/static/app.js'></script></head>"
         b"<body><div id='app'></div></body></html>")
APP_JS = (b"fetch('/api/products.json').then(r => r.json()).then(data => {"
          b" for (const name of data) { const li = document.createElement('li');"
          b" li.textContent = name; document.getElementById('app').appendChild(li); } });")


async def _render_with_slow_routing(chromium: str, delay_s: float) -> bytes:
    """A JS shop's page rendered while Chromium's requests reach our routing `delay_s` late (as
    on a loaded machine, where the driver's events queue)."""

    async def fetch(url: str, method: str, headers: dict[str, str], body: bytes | None,
                    budget: int) -> Fetched:
        if url.endswith(".js"):
            return Fetched(200, {"Content-Type": "application/javascript"}, APP_JS)
        return Fetched(200, {"Content-Type": "application/json"}, b'["Blue Tea Pot"]')

    pool = BrowserPool(chromium, list(CHROMIUM_ARGS), 1, 10)
    route = pool._route

    async def late_route(request_route):  # type: ignore[no-untyped-def]
        if not request_route.request.is_navigation_request():
            await asyncio.sleep(delay_s)
        await route(request_route)

    pool._route = late_route  # type: ignore[method-assign]
    limits = RenderLimits(max_bytes=1 << 20, max_dom_bytes=1 << 20, timeout_s=20, wait_s=5,
                          settle_ms=100)
    try:
        job = RenderJob("http://shop.example.test/", 200, {"Content-Type": "text/html"}, SHELL,
                        fetch, limits)
        async with pool.slot() as slot:
            return await job.run(slot)
    finally:
        await pool.close()


@pytest.mark.chromium
def test_render_waits_for_a_call_the_page_made_before_it_reached_the_routing(
        chromium_path: str) -> None:
    # The script's fetch() is counted in the page from the call on: before, the render ended
    # (DOM quiet, nothing routed yet) and stored the empty shell.
    html = asyncio.run(_render_with_slow_routing(chromium_path, 0.4))
    assert b"Blue Tea Pot" in html


@pytest.mark.chromium
def test_page_scripts_do_not_wait_for_the_sites_download_delay(
        sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, chromium_path: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a 3 s download delay per site, the page's script is fetched at once (its own slot),
    not a delay after the page itself; it still goes through robots.txt and the safety rules
    (test_render.py, test_render_hostile.py)."""
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt",
                                                                  ["spa.example.test"])))
    monkeypatch.setenv("ECOMSTAT_CHROMIUM_PATH", chromium_path)
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_DELAY", "3")
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_TIMEOUT", "30")
    urls = write_lines(crawl_env / "urls.txt", ["http://spa.example.test/"])
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls),
                                      "--render", "auto", "--max-pages", "1"])
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        stats = session.scalars(select(CrawlRun)).one().stats
    engine.dispose()
    assert stats["ecomstat/render/pages"] == 1 and stats["ecomstat/render/fetches"] == 1
    # in the site's slot it waited 1.5-4.5 s (the randomised delay) after the page's fetch
    assert stats["ecomstat/render/fetch_ms"] < 700, stats
    assert ("spa.example.test", "/app.js") in miniweb.hits


def test_page_pool_is_shared_out_over_the_crawl_processes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1})
    assert default_concurrency(1) == 8
    assert default_concurrency(2) == 4  # 4 per CPU over both processes
    assert default_concurrency(8) == 2  # but never fewer than 2 per process


@pytest.mark.chromium
def test_a_shops_script_is_downloaded_once_for_all_its_rendered_pages(
        sqlite_url: str, miniweb: MiniWeb, crawl_env: Path, chromium_path: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt",
                                                                  ["spa.example.test"])))
    monkeypatch.setenv("ECOMSTAT_CHROMIUM_PATH", chromium_path)
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_TIMEOUT", "30")
    urls = write_lines(crawl_env / "urls.txt", ["http://spa.example.test/"])
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls),
                                      "--render", "auto", "--max-pages", "3"])
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        stats = session.scalars(select(CrawlRun)).one().stats
        texts = [page.text or "" for page in session.scalars(select(Page))]
    engine.dispose()
    assert stats["ecomstat/render/pages"] >= 2  # / and /cart
    assert sum("Blue Tea Pot" in text for text in texts) >= 1
    assert miniweb.hits.count(("spa.example.test", "/app.js")) == 1
    assert stats["ecomstat/render/script-cache-hits"] == stats["ecomstat/render/pages"] - 1
    # renders did not take the crawl's download slots (engine_started raised the limit)
    assert stats["ecomstat/render/extra_concurrency"] >= 4


def test_renders_get_download_slots_of_their_own() -> None:
    """A render holds its request as active in Scrapy's downloader while Chromium works on it:
    the limit grows by two slots per pooled page, so the pages fetched at once stay
    CONCURRENT_REQUESTS (0, no limit, stays 0)."""
    from types import SimpleNamespace

    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from ecomstat.spiders.middlewares.render import RenderMiddleware

    for limit, expected in ((16, 16 + 2 * 3), (0, 0)):
        crawler = get_crawler(Spider, settings_dict={
            "ECOMSTAT_RENDER": "auto", "ECOMSTAT_RENDER_CONCURRENCY": 3,
            "CONCURRENT_REQUESTS": limit})
        middleware = RenderMiddleware.from_crawler(crawler)
        crawler.engine = SimpleNamespace(downloader=SimpleNamespace(total_concurrency=limit))
        middleware.engine_started()
        assert crawler.engine.downloader.total_concurrency == expected


def test_script_cache_keeps_get_scripts_within_its_budget() -> None:
    cache = ScriptCache(max_bytes=800)
    script = {"Content-Type": "text/javascript; charset=utf-8"}
    cache.put("GET", "http://a.test/app.js", Fetched(200, script, b"a" * 100))
    cache.put("GET", "http://a.test/api", Fetched(200, {"Content-Type": "application/json"},
                                                  b"{}"))
    cache.put("POST", "http://a.test/post.js", Fetched(200, script, b"p"))
    cache.put("GET", "http://a.test/secret.js", Fetched(200, {**script,
                                                              "Cache-Control": "no-store"}, b"s"))
    cache.put("GET", "http://a.test/big.js", Fetched(200, script, b"b" * 101))  # > budget / 8
    assert cache.get("GET", "http://a.test/app.js").body == b"a" * 100
    assert cache.get("GET", "http://a.test/api") is None
    assert cache.get("POST", "http://a.test/post.js") is None
    assert cache.get("GET", "http://a.test/secret.js") is None
    assert cache.get("GET", "http://a.test/big.js") is None
    for index in range(8):  # least recently used out
        cache.put("GET", f"http://b.test/{index}.js", Fetched(200, script, b"x" * 100))
    assert cache.get("GET", "http://a.test/app.js") is None and cache.size <= 800


def test_subrequest_slot_is_the_sites_own_and_keeps_scrapys_clock() -> None:
    """Its `lastseen` is on Scrapy's monotonic clock: on another clock a robots.txt Crawl-delay
    set on the slot would hold the page's scripts for ever (delay - now + lastseen)."""
    import time
    from types import SimpleNamespace

    from ecomstat.spiders.middlewares.render import SUBREQUEST_CONCURRENCY, RenderMiddleware

    slots: dict = {}
    middleware = RenderMiddleware.__new__(RenderMiddleware)
    middleware.crawler = SimpleNamespace(engine=SimpleNamespace(
        downloader=SimpleNamespace(slots=slots)))
    key = middleware._subrequest_slot("http://shop.example.test/static/app.js")
    assert key != "shop.example.test" and key == middleware._subrequest_slot(
        "http://shop.example.test/api/products.json")
    slot = slots[key]
    assert (slot.concurrency, slot.delay) == (SUBREQUEST_CONCURRENCY, 0.0)
    slot.delay = 2.0  # a Crawl-delay of 2 s: the next request waits at most that long
    assert slot.delay - time.monotonic() + slot.lastseen <= 2.0
