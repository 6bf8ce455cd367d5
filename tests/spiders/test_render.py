"""JavaScript: with --render auto only pages that need it go through Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ecomstat.cli import app
from spider_testweb import MiniWeb, site_host, write_lines
from ecomstat.store.warc import read_response
from ecomstat.store import make_engine, transaction
from ecomstat.store.models import CrawlRun, Page, Website


@pytest.mark.chromium
def test_auto_render_captures_js_shop_and_renders_little(
    sqlite_url: str, sqlite_engine, miniweb: MiniWeb, crawl_env: Path, chromium_path: str,
    monkeypatch
) -> None:
    hosts = ["spa.example.test", site_host(0), "leaky.example.test"]
    # intranet.corp is mapped to loopback too, but not allowed (ECOMSTAT_ALLOW_PRIVATE_HOSTS)
    monkeypatch.setenv("ECOMSTAT_HOST_MAP", str(miniweb.host_map(
        crawl_env / "hosts.txt", [*hosts, "intranet.corp"])))
    monkeypatch.setenv("ECOMSTAT_CHROMIUM_PATH", chromium_path)
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_TIMEOUT", "30")
    urls = write_lines(crawl_env / "urls.txt", [f"http://{host}/" for host in hosts])
    result = CliRunner().invoke(app, ["--db", sqlite_url, "crawl", "sites", "--urls", str(urls),
                                      "--render", "auto", "--max-pages", "5"])
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    with transaction(engine) as session:
        pages = session.execute(select(Website.url, Page).join(
            Page, Page.website_id == Website.id)).all()
        run = session.scalars(select(CrawlRun)).one()
    engine.dispose()
    spa_home = next(page for url, page in pages if url == "http://spa.example.test/"
                    and page.depth == 0)
    assert spa_home.rendered and "Blue Tea Pot" in spa_home.text
    assert any(link["url"].endswith("/cart") for link in spa_home.links)
    assert read_response(spa_home.warc_file, spa_home.warc_offset).rendered
    # Chromium's sub-requests obey the private-address rule: the intranet script was never
    # fetched, the page's own script was
    leaky_home = next(page for url, page in pages if url == "http://leaky.example.test/")
    assert leaky_home.rendered and "Spades and rakes" in leaky_home.text
    assert "INTRANET SECRET" not in leaky_home.text
    assert ("leaky.example.test", "/app.js") in miniweb.hits
    assert not any(host == "intranet.corp" for host, _path in miniweb.hits)
    others = [page for url, page in pages
              if url not in ("http://spa.example.test/", "http://leaky.example.test/")]
    assert others and not any(page.rendered for page in others)
    # /cart of the SPA is rendered too, then stored once (same content as the home page)
    spa_fetches = sum(1 for url, page in pages if url == "http://spa.example.test/")
    assert run.stats["ecomstat/render/pages"] >= spa_fetches
    assert run.stats["ecomstat/render/pages"] < run.stats["ecomstat/pages"] / 2
    assert run.stats["ecomstat/render/ms"] > 0
