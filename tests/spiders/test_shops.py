"""`ecomstat crawl shops`: product listings from structured data, then heuristics; capped
pagination; idempotent product rows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import MiniWeb
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun, Product


def test_crawl_shops_collects_listings(sqlite_url: str, miniweb: MiniWeb, crawl_env: Path,
                                       monkeypatch) -> None:
    hosts = ["jsonld-shop.example.test", "tiles-shop.example.test"]
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(crawl_env / "hosts.txt", hosts)))
    args = ["--db", sqlite_url, "crawl", "shops", "http://jsonld-shop.example.test/",
            "http://tiles-shop.example.test/", "--max-pages", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        products = {p.name: p for p in session.scalars(select(Product))}
        run = session.scalars(select(CrawlRun)).one()
    assert run.spider == "shop_listing" and run.status == "finished" and run.sites_done == 2
    tea = products["Green Tea 1-2"]
    assert (tea.price, tea.currency, tea.availability) == (1.29, "EUR", "InStock")
    assert tea.brand == "Leaf" and tea.gtin == "400000001" + "0002" and tea.sku == "SKU12"
    assert tea.url == "http://jsonld-shop.example.test/products/tea-1-2"
    assert tea.image_url == "http://jsonld-shop.example.test/img/1-2.jpg"
    assert tea.breadcrumb == "Home > Tea" and tea.source == "json-ld"
    # 4 pages per shop: home + 3 listing pages of 5 -> pagination stopped by the cap
    assert sum(name.startswith("Green Tea") for name in products) == 9
    mug = products["Mug 3"]
    assert (mug.price, mug.currency, mug.source) == (3.5, "EUR", "heuristic")
    assert mug.url == "http://tiles-shop.example.test/mug-3"
    before = len(products)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    with transaction(engine) as session:
        assert session.scalar(select(func.count(Product.id))) == before  # upserted, not doubled
    engine.dispose()
