"""A shop that closed between two waves: its old shop page stays in the store (pages are kept
per URL), but `classify sites` decides from the newest crawl's pages, so the second wave says
"no web sales" and the first wave's record still says "yes"."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.spiders.runs import SiteResult, create_run, finish_run, in_wave, write_sites
from ecomstat.store import transaction
from ecomstat.store.models import Enterprise, Website, utcnow
from ecomstat.store.warc import WarcFileWriter
from ecommerce_fixtures import service_page, shop_page  # tests/classifiers (pytest pythonpath)

runner = CliRunner()
HOME = "https://www.closing.de.test/"


def _crawl(engine: Engine, warc: Path, wave: str, website_id: int, pages: dict[str, str]) -> None:
    writer = WarcFileWriter(warc)
    rows = []
    for depth, (url, html) in enumerate(pages.items()):
        offset = writer.write_response(url, 200, [("Content-Type", "text/html")], html.encode())
        rows.append({"url": url, "outcome": "ok", "depth": depth, "fetched_at": utcnow(),
                     "content_hash": f"{wave}-{url}", "http_status": 200, "rendered": False,
                     "content_type": "text/html", "language": "de", "warc_file": str(writer.path),
                     "warc_offset": offset})
    writer.close()
    with in_wave(wave):
        run_id = create_run(engine, "enterprise_site", [website_id])
    write_sites(engine, run_id, [SiteResult(website_id, "ok", rows)])
    finish_run(engine, run_id, "finished")


def _classify(engine: Engine) -> None:
    result = runner.invoke(app, ["--db", engine.url.render_as_string(hide_password=False),
                                 "classify", "sites"])
    assert result.exit_code == 0, result.output


def test_a_closed_shop_is_no_longer_a_web_seller_and_the_first_wave_keeps_its_yes(
        engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        session.add(Enterprise(id="E1", name="Closing GmbH", country="DE", nace="47.91",
                               nace_section="G", employees=30))
        session.flush()
        site = Website(url=HOME, domain="closing.de.test", status="linked", enterprise_id="E1")
        session.add(site)
        session.flush()
        website_id = site.id
    _crawl(engine, tmp_path / "w1.warc.gz", "2026Q3", website_id,
           {HOME: service_page("de"), HOME + "shop": shop_page("de")})
    _classify(engine)
    _crawl(engine, tmp_path / "w2.warc.gz", "2026Q4", website_id, {HOME: service_page("de")})
    _classify(engine)
    with engine.connect() as connection:
        record = dict(connection.execute(text(
            "SELECT wave, web_sales FROM v_enterprise_wave WHERE enterprise_id = 'E1'")).all())
        evidence = connection.execute(text(
            "SELECT web_sales_evidence FROM enterprise_wave WHERE wave = '2026Q3'")).scalar()
        pages = connection.execute(text("SELECT COUNT(*) FROM page WHERE outcome = 'ok'")).scalar()
    assert pages == 2  # the old shop page is still stored ...
    assert record == {"2026Q3": "yes", "2026Q4": "no"}  # ... but no longer decides the label
    assert evidence == HOME + "shop"
