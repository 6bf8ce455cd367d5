"""parse_html: what each part of a PageDoc holds (the classifiers depend on these exact values;
bench/bench_classify.py --compare-predictions checks them on the reference pages)."""

from __future__ import annotations

import pytest

from ecomstat.classifiers import html
from ecomstat.classifiers.html import MAX_TEXT_CHARS, Form, Link, parse_html, squash

PAGE = b"""<!doctype html><html lang="DE" class="no-js"><head><title> Tee   Shop </title>
<meta name="Description" content="Tea"><meta property="og:type" content="product">
<meta name="description" content="second, ignored">
<link rel="alternate" hreflang="EN" href="/en/"><link rel="stylesheet" href="/s.css">
<script src="/app.js"></script><script>var shop = "x";</script>
<script type="application/ld+json">{"@type": "Product", "name": "Pot",}</script>
<style>.hidden { color: red }</style></head>
<body class="home"><div itemtype="https://schema.org/Product" typeof="schema:Offer">
<a href="/cart"> Cart <span>(2)</span></a><a href="/cart">again</a><a href="#top">top</a>
<a href="javascript:void(0)">js</a><a href=" /about " title="About us"></a>
<a href="/x" aria-label="Label"><svg><text>icon</text></svg></a>
<form action="/search" method="GET" class="f" id="s"><input name="q"><input name="">
<select name="size"></select><button>Go</button><input type="submit" value="Send"></form>
<div role="button" aria-label="Add to basket" class="btn"></div>
<iframe src="https://pay.example/"></iframe><noscript>enable js</noscript>
<p>Fresh   tea</p></div></body></html>"""


@pytest.fixture(scope="module")
def doc() -> html.PageDoc:
    return parse_html(PAGE, "https://tee.example/")


def test_head_parts(doc: html.PageDoc) -> None:
    assert doc.title == "Tee Shop"
    assert doc.lang == "de"
    assert doc.meta == {"description": "Tea", "og:type": "product"}
    assert doc.hreflangs == ["en"]
    assert doc.jsonld == [{"@type": "Product", "name": "Pot"}]  # trailing comma repaired
    assert doc.scripts == 'var shop = "x";'
    assert doc.resources == ["/en/", "/s.css", "/app.js", "https://pay.example/"]


def test_links_keep_hrefs_as_written_once_with_fallback_text(doc: html.PageDoc) -> None:
    assert doc.links == [Link("/cart", "Cart (2)"), Link("/about", "About us"),
                         Link("/x", "icon")]
    assert doc.links[0].resolve(doc.url) == "https://tee.example/cart"


def test_forms_buttons_classes_and_types(doc: html.PageDoc) -> None:
    assert doc.forms == [Form("/search", "get", ["q", "size"], ["Go", "Send"])]
    assert doc.buttons == ["Go", "Send", "Add to basket"]
    assert doc.classes.split() == ["no-js", "home", "f", "s", "btn"]
    assert doc.itemtypes == ["https://schema.org/Product", "schema:Offer"]


def test_visible_text_leaves_out_scripts_styles_and_svg(doc: html.PageDoc) -> None:
    assert "Fresh tea" in doc.text and "Cart (2)" in doc.text
    for hidden in ("var shop", "color: red", "enable js", "icon", "Product"):
        assert hidden not in doc.text


@pytest.mark.parametrize("words", [10, 7_000, 40_000])
def test_text_is_the_squashed_prefix_capped(words: int) -> None:
    # Irregular whitespace so that the squashed text is much shorter than the markup.
    body = "".join(f"w{i}{' ' * (i % 7 + 1)}\n" for i in range(words))
    doc = parse_html(f"<html><body><p>{body}</p></body></html>")
    assert doc.text == squash(body[: MAX_TEXT_CHARS * 4])[:MAX_TEXT_CHARS]


@pytest.mark.parametrize("body", [b"", b"   \n\t", "\u3000 \x1c".encode()])
def test_blank_pages_give_an_empty_doc(body: bytes) -> None:
    assert parse_html(body).empty


def test_oversized_markup_is_truncated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html, "MAX_HTML_CHARS", 1_000)
    doc = parse_html(b"<html><body>" + b"<a href='/p%d'>p</a>" % 1 + b"x" * 5_000 + b"</body>")
    assert doc.truncated and len(doc.text) < 1_000


def test_invisible_elements_found_in_the_same_walk() -> None:
    page = b"""<html><head><title>First</title><title>Second</title></head><body>
    <svg><title>icon title</title><a href="/in-svg">svg link</a></svg>
    <noscript><iframe src="/frame"></iframe>no js</noscript>
    <iframe rel="alternate" hreflang="fr" href="/fr"></iframe>
    <template><a href="/tpl">t</a></template><p>visible</p></body></html>"""
    doc = parse_html(page)
    assert doc.title == "First"
    assert doc.text == "visible"
    assert doc.hreflangs == [] and "/fr" not in doc.resources  # an iframe without src
    assert [link.url for link in doc.links] == ["/in-svg"]
