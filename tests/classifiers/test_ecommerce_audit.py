"""Audit of issue 4 (e-commerce pages): every signal kind in each of the nine languages;
hostile JSON-LD and nesting; gzipped pages served over HTTP."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecomstat.classifiers.ecommerce import classify_html, load_model
from ecomstat.classifiers.ecommerce.inputs import read_input
from ecomstat.classifiers.ecommerce.signals import extract_signals
from ecomstat.classifiers.fetch import FetchLimits, TooLarge
from ecomstat.classifiers.html import parse_html, squash
from ecomstat.cli import app

from ecommerce_fixtures import serve_directory, shop_page  # noqa: E402

runner = CliRunner()


def test_deeply_nested_json_ld_is_ignored_not_a_crash() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    html = ('<html><head><script type="application/ld+json">' + nested + "</script>"
            '<script type="application/ld+json">{"@type": "Product"}</script></head>'
            "<body><p>x</p></body></html>")
    doc = parse_html(html)
    assert doc.jsonld == [{"@type": "Product"}]
    prediction = classify_html(html.encode(), "", load_model())
    assert 0.0 <= prediction.probability <= 1.0


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[str]:
    with serve_directory(tmp_path) as base:
        yield base


def test_cli_classify_page_gzipped_file_served_over_http(tmp_path: Path, served: str) -> None:
    # http.server serves .html.gz as application/gzip without Content-Encoding: the body is
    # still gzip and must be unpacked like a local .html.gz.
    (tmp_path / "shop.html.gz").write_bytes(gzip.compress(shop_page("de", 1).encode()))
    result = runner.invoke(app, ["classify", "page", f"{served}/shop.html.gz"],
                           env={"ECOMSTAT_ALLOW_PRIVATE_HOSTS": "127.0.0.1"})  # loopback
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.splitlines()[0])
    assert line["ecommerce"] is True


def test_gzipped_url_body_is_capped(tmp_path: Path, served: str) -> None:
    # like the crawler's too-large: refused once the decompressed body passes the cap
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(b"<html><body>" + b"a" * 5_000_000))
    limits = FetchLimits(max_bytes=100_000, allowed=("127.0.0.1",))
    with pytest.raises(TooLarge, match="decompressed body over the 100000-byte cap"):
        read_input(f"{served}/bomb.html.gz", limits=limits)


def test_deeply_nested_markup_is_cut_not_parsed_for_minutes() -> None:
    # 200,000 nested <div>s took the HTML5 tree builder about 100 s (quadratic in depth).
    html = "<html><body><p>Warenkorb</p>" + "<div>" * 200_000 + "deep" + "</div>" * 200_000
    doc = parse_html(html)
    assert doc.truncated
    assert "Warenkorb" in doc.text
    prediction = classify_html(html.encode(), "", load_model())
    assert 0.0 <= prediction.probability <= 1.0


def test_ordinary_big_pages_are_not_cut() -> None:
    html = "<html><body>" + "<div><p>item</p><img src=x><br></div>" * 30_000 + "</body></html>"
    assert not parse_html(html).truncated


# language -> cart word, cart path, add-to-cart button, price, order phrase, booking phrase,
# a local payment provider
LANGUAGES = {
    "en": ("Cart", "/cart", "Add to cart", "£19.99", "Order online", "Book a table", "PayPal"),
    "de": ("Warenkorb", "/warenkorb", "In den Warenkorb", "19,99 €", "Jetzt bestellen",
           "Tisch reservieren", "Klarna"),
    "fr": ("Panier", "/panier", "Ajouter au panier", "19,99 €", "Commander en ligne",
           "Réserver en ligne", "Stripe"),
    "es": ("Carrito", "/carrito", "Añadir al carrito", "19,99 €", "Haz tu pedido",
           "Reservar mesa", "Bizum"),
    "pt": ("Carrinho", "/carrinho", "Adicionar ao carrinho", "R$ 19,90", "Faça seu pedido",
           "Reservar", "PagSeguro"),
    "it": ("Carrello", "/carrello", "Aggiungi al carrello", "19,99 €", "Ordina online",
           "Prenota un tavolo", "Satispay"),
    "nl": ("Winkelwagen", "/winkelwagen", "In winkelwagen", "€ 19,99", "Bestel online",
           "Reserveer een tafel", "iDEAL"),
    "pl": ("Koszyk", "/koszyk", "Dodaj do koszyka", "49,99 zł", "Zamów online",
           "Zarezerwuj stolik", "Przelewy24"),
    "id": ("Keranjang", "/keranjang", "Tambah ke Keranjang", "Rp 150.000", "Pesan sekarang",
           "Reservasi", "Midtrans"),
}


def _fired(body: str) -> set[str]:
    html = f"<html><head><title>Start</title></head><body>{body}</body></html>"
    return {signal.name for signal in extract_signals(parse_html(html))}


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_each_signal_kind_fires_in_each_language(lang: str) -> None:
    cart, path, button, price, order, booking, payment = LANGUAGES[lang]
    assert "cart_link" in _fired(f'<a href="/x">{cart}</a>')
    assert "cart_url" in _fired(f'<a href="{path}">x</a>')
    assert "add_to_cart" in _fired(f'<button type="submit">{button}</button>')
    form = _fired(f'<form action="{path}/add" method="post"><input name="qty" value="1">'
                  f"<button>{button}</button></form>")
    assert {"cart_form", "cart_fields", "add_to_cart"} <= form
    assert "prices" in _fired(f"<p>{price}</p>")
    assert "order_phrase" in _fired(f'<a href="/o">{order}</a>')
    assert "order_phrase" in _fired(f'<a href="/b">{booking}</a>')
    assert "payment" in _fired(f"<p>Info</p><footer>{payment}</footer>")


def test_cp1252_page_declared_utf8_decodes_as_cp1252() -> None:
    # cp1250 reads these bytes as well ("ŕ la", "naďves"): among equally good guesses the
    # common web code page wins.
    text = ("Bienvenue à la boutique. Découvrez nos créations naïves, élégantes et colorées. "
            "Livraison gratuite dès 50 €. Ajouter au panier.")
    html = f"<html><head><meta charset='utf-8'></head><body><p>{text}</p></body></html>"
    assert parse_html(html.encode("cp1252")).text == text


def test_cp1250_page_declared_utf8_still_decodes_as_cp1250() -> None:
    text = "Zażółć gęślą jaźń. Darmowa dostawa, dodaj do koszyka. Cena 49,99 zł."
    html = f"<html><head><meta charset='utf-8'></head><body><p>{text}</p></body></html>"
    assert parse_html(html.encode("cp1250")).text == text


@pytest.mark.parametrize("depth", [100, 600, 900])
def test_offers_nested_in_offers_are_no_crash(depth: int) -> None:
    offers = '{"offers":' * depth + '{"price": "1"}' + "}" * depth
    html = (f'<html><head><script type="application/ld+json">{{"@type": "Product", '
            f'"offers": {offers}}}</script></head><body>x</body></html>')
    prediction = classify_html(html.encode(), "", load_model())
    assert 0.0 <= prediction.probability <= 1.0


def test_button_labels_are_the_squashed_start_of_their_text() -> None:
    # An element with role=button around the whole page: its label is cut from the start of
    # the text (splitting the whole text for each of 300 nested ones took seconds).
    words = "lorem  ipsum\n dolor sit amet " * 20_000
    html = ("<html><body>" + '<div role="button">' * 300 + words + "</div>" * 300
            + "<button>\n  In den   Warenkorb \n</button></body></html>")
    doc = parse_html(html)
    assert len(doc.buttons) == 300
    assert doc.buttons[0] == squash(words)[:80]
    assert "In den Warenkorb" not in doc.buttons  # past the 300-button cap
    assert parse_html("<button>\n In den   Warenkorb \n</button>").buttons == ["In den Warenkorb"]


def test_classify_sites_refuses_an_unknown_website_id(tmp_path: Path) -> None:
    from ecomstat.store import make_engine, transaction
    from ecomstat.store.migrate import upgrade
    from ecomstat.store.models import Classification, Page, Website

    db = f"sqlite:///{tmp_path / 'e.db'}"
    engine = make_engine(db)
    upgrade(engine)
    with transaction(engine) as session:
        site = Website(url="https://a.test/", domain="a.test")
        session.add(site)
        session.flush()
        session.add(Page(website_id=site.id, url="https://a.test/", outcome="ok",
                         text="Warenkorb 4,99 €", title="A"))
        site_id = site.id
    result = runner.invoke(app, ["--db", db, "classify", "sites", "--website", str(site_id),
                                 "--website", "999"])
    assert result.exit_code == 2
    assert "999" in result.output and result.stdout == ""
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Classification)).scalar() == 0
    ok = runner.invoke(app, ["--db", db, "classify", "sites", "--website", str(site_id)])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout.splitlines()[0])["website_id"] == site_id
