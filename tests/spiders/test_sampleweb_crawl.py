"""Integration with the sample web (ecomstat.sampleweb): its host map, its JavaScript-only shops
captured from rendered content while few pages go through the browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import write_lines
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun, Page, Website

sampleweb = pytest.importorskip("ecomstat.sampleweb")


@pytest.mark.chromium
@pytest.mark.slow
def test_sample_web_js_shops_rendered_and_few_pages_rendered(
    sqlite_url: str, crawl_env: Path, chromium_path: str, monkeypatch
) -> None:
    population = sampleweb.generate(n=200, seed=0)
    truth = population.truth
    js_shops = [t.true_url for t in truth if t.needs_js]
    assert js_shops, "the sample web has JavaScript-only shops"
    others = [t.true_url for t in truth if t.site_status == "live" and not t.needs_js][:30]
    with sampleweb.SampleWebServer(population) as server:
        hosts = sampleweb.write_host_map(population, server, crawl_env / "hosts.txt")
        monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(hosts))
        monkeypatch.setenv("ECOMSTAT_CHROMIUM_PATH", chromium_path)
        monkeypatch.setenv("ECOMSTAT_DOWNLOAD_TIMEOUT", "30")
        urls = write_lines(crawl_env / "urls.txt", js_shops + others)
        result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls",
                                          str(urls), "--render", "auto", "--max-pages", "4"])
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        rows = session.execute(select(Website.url, Page).join(
            Page, Page.website_id == Website.id)).all()
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    by_site: dict[str, list[Page]] = {}
    for url, page in rows:
        by_site.setdefault(url, []).append(page)
    for shop in js_shops:
        home = next(page for page in by_site[shop] if page.depth == 0)
        assert home.rendered, shop
        # the catalogue exists only after JavaScript ran: its product names are in the text
        products = population.sites[shop.split("/")[2]].products
        assert products and any(product.name in home.text for product in products), shop
    fetched = run.stats["ecomstat/pages"]
    assert run.stats["ecomstat/render/pages"] / fetched < 0.15
