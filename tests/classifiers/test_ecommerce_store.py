"""`ecomstat classify sites`: labels every website with crawled pages in the store (SQLite and
PostgreSQL), from WARC records or, without them, from the stored page rows; idempotent."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.store.warc import WarcFileWriter
from ecomstat.store import transaction
from ecomstat.store.models import Classification, Model, Page, Website

runner = CliRunner()

SHOP_HOME = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Bäckerei Müller
Onlineshop</title><link rel="alternate" hreflang="en" href="https://www.mueller.de.test/en/">
<script src="https://cdn.shopify.com/s/files/theme.js"></script></head><body>
<nav><a href="/warenkorb">Warenkorb</a> <a href="/datenschutz">Datenschutz</a>
<a href="https://www.facebook.com/sharer/sharer.php?u=x">Teilen</a>
<a href="https://www.instagram.com/mueller_baeckerei/">Instagram</a>
<a href="/karriere">Karriere</a></nav>
<div class="product"><h2>Roggenbrot</h2><span>4,99 €</span><form action="/cart/add" method="post">
<input name="id" value="1"><input name="quantity" value="1"><button>In den Warenkorb</button>
</form></div><p>Versandkostenfrei ab 30 €. Zahlung mit PayPal und Klarna.</p></body></html>"""

SERVICE_HOME_TEXT = ("Ingenieurbüro Schmidt. Planung und Beratung für Bauprojekte seit 1990. "
                     "Unser Team unterstützt Sie von der Idee bis zur Abnahme.")


def _seed(engine: Engine, warc_dir: Path) -> dict[str, int]:
    writer = WarcFileWriter(warc_dir / "run-1.warc.gz")
    shop_url = "https://www.mueller.de.test/"
    offset = writer.write_response(shop_url, 200, [("Content-Type", "text/html")],
                                   SHOP_HOME.encode("utf-8"))
    writer.close()
    with transaction(engine) as session:
        shop = Website(url=shop_url, domain="mueller.de.test", status="linked")
        service = Website(url="https://schmidt.de.test/", domain="schmidt.de.test")
        uncrawled = Website(url="https://never.de.test/", domain="never.de.test")
        session.add_all([shop, service, uncrawled])
        session.flush()
        session.add_all([
            Page(website_id=shop.id, url=shop_url, outcome="ok", warc_file=str(writer.path),
                 warc_offset=offset, content_type="text/html", language="de"),
            Page(website_id=service.id, url="https://schmidt.de.test/", outcome="ok",
                 title="Ingenieurbüro Schmidt", language="de", text=SERVICE_HOME_TEXT,
                 links=[{"url": "https://schmidt.de.test/kontakt", "text": "Kontakt"},
                        {"url": "https://www.linkedin.com/company/schmidt-ing", "text": "LinkedIn"},
                        {"url": "https://www.amazon.de/shops/schmidt",
                         "text": "Unser Amazon-Shop"}],
                 structured_data={}),
            # a stored WARC pointer whose file is gone: falls back to the row, no crash
            Page(website_id=service.id, url="https://schmidt.de.test/kontakt", outcome="ok",
                 text="Kontakt Telefon", warc_file=str(warc_dir / "gone.warc.gz"), warc_offset=0),
            Page(website_id=service.id, url="https://schmidt.de.test/x", outcome="http-error"),
        ])
        session.flush()
        return {"shop": shop.id, "service": service.id, "uncrawled": uncrawled.id}


def _labels(engine: Engine, website_id: int) -> dict[str, Classification]:
    with transaction(engine) as session:
        rows = session.scalars(select(Classification).where(
            Classification.target_type == "website",
            Classification.target_id == str(website_id))).all()
        return {row.task: row for row in rows}


def test_classify_sites_labels_store_and_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    ids = _seed(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, "classify", "sites"])
    assert result.exit_code == 0, result.output
    printed = {row["website_id"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert set(printed) == {ids["shop"], ids["service"]}  # only sites with crawled pages

    shop = _labels(engine, ids["shop"])
    assert shop["web_sales"].label == "yes" and shop["web_sales"].probability > 0.8
    evidence = json.dumps(shop["web_sales"].evidence, ensure_ascii=False)
    assert "/cart/add" in evidence and "\"source\": \"warc\"" in evidence
    assert shop["platform"].label == "Shopify"
    assert shop["social_media"].label == "yes"  # the Instagram profile, not the share button
    assert all("sharer" not in e["evidence"] for e in shop["social_media"].evidence)
    assert shop["privacy_policy"].label == "yes" and shop["job_ads"].label == "yes"
    assert shop["languages"].label == "de,en"
    assert shop["marketplace"].label == "no"

    service = _labels(engine, ids["service"])
    assert service["web_sales"].label == "no"
    assert service["marketplace"].label == "yes" and "Amazon" in json.dumps(
        service["marketplace"].evidence)
    assert service["social_media"].label == "yes" and service["platform"].label == "none"
    assert service["online_booking"].label == "no"

    with transaction(engine) as session:
        model = session.scalars(select(Model)).one()
        assert model.kind == "ecommerce" and len(model.training_data_sha256) == 64
        assert model.metrics["combined"]["f1"] >= 0.92
        page_labels = session.scalars(select(Classification).where(
            Classification.target_type == "page")).all()
        assert len(page_labels) == 3 and {p.task for p in page_labels} == {"web_sales"}
        before = session.scalar(select(func.count()).select_from(Classification))

    again = runner.invoke(app, ["--db", url, "classify", "sites"])
    assert again.exit_code == 0, again.output
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Classification)) == before
        assert session.scalar(select(func.count()).select_from(Model)) == 1


def test_classify_sites_streams_json_lines_with_the_rows_of_the_whole_csv(
        engine: Engine, tmp_path: Path) -> None:
    """JSON lines are written as each site is labelled (memory bounded at national scale);
    they carry the same rows as the CSV, which is printed whole."""
    import csv
    import io

    _seed(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    streamed = runner.invoke(app, ["--db", url, "classify", "sites"])
    whole = runner.invoke(app, ["--db", url, "classify", "sites", "--format", "csv"])
    assert streamed.exit_code == 0 and whole.exit_code == 0, streamed.output + whole.output
    json_rows = sorted(json.dumps({k: str(v) for k, v in json.loads(line).items() if v is not None},
                                  sort_keys=True) for line in streamed.stdout.splitlines())
    csv_rows = sorted(json.dumps({k: v for k, v in row.items() if v != ""}, sort_keys=True)
                      for row in csv.DictReader(io.StringIO(whole.stdout)))
    assert len(json_rows) == 2 and [json.loads(r)["website_id"] for r in json_rows] == \
        [json.loads(r)["website_id"] for r in csv_rows]


def test_classify_sites_unknown_model_is_bad_input(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["--db", url, "classify", "sites", "--model", "nosuch"])
    assert result.exit_code == 2 and "nosuch" in result.output
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Classification)) == 0
