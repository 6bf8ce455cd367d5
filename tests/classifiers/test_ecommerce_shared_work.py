"""Work done once per page and shared (tokens, fingerprint scans, resolved links) must give
exactly what doing it separately gives: these compare each shortcut with its plain definition
on generated pages and on random strings built to hit the edge cases (cuts inside words,
digits, underscores, non-decimal digits, the Greek final sigma, case-changing letters)."""

from __future__ import annotations

import gc
import random
from dataclasses import replace

import pytest

from ecomstat.classifiers.characteristics import site_characteristics
from ecomstat.classifiers.links import Resolver
from ecomstat.classifiers.ecommerce import load_model, prepare
from ecomstat.classifiers.ecommerce.signals import ADD_TO_CART, add_to_cart_buttons, extract_signals
from ecomstat.classifiers.ecommerce.sites import long_lived_frozen
from ecomstat.classifiers.ecommerce.words import (RELIABILITY_CHARS, TEXT_CHARS, WORDS, letter_words,
                                         model_text, page_words, prefix_tokens)
from ecomstat.classifiers.html import Form, Link, PageDoc, parse_html
from ecomstat.classifiers.lexicon import tokens

from ecommerce_fixtures import WORDS as LANGUAGES  # noqa: E402
from ecommerce_fixtures import article_page, service_page, shop_page  # noqa: E402

# letters, digits, '_', '²' (a digit but not decimal), 'Ⅻ' (numeric), sigma forms, 'İ' (lower()
# makes it two characters), a combining accent, punctuation and spaces
ALPHABETS = ("ab cΣσς İi_1²Ⅻ.'-\u0301é ", "abc d1_", "ab", "aΣ b")


def _random_doc(rng: random.Random, alphabet: str) -> PageDoc:
    def text(longest: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))

    return PageDoc(
        title=text(40), text=text(rng.choice([60, RELIABILITY_CHARS + 50, TEXT_CHARS + 900])),
        buttons=[text(12) for _ in range(rng.randint(0, 60))],
        links=[Link(f"/p{i}", text(25)) for i in range(rng.randint(0, 230))])


def _pages() -> list[PageDoc]:
    html = [shop_page(lang, 1) for lang in LANGUAGES] + [service_page("de"), article_page()]
    return [parse_html(page, "https://shop.example/a/b.html") for page in html]


def _direct(doc: PageDoc) -> tuple[list[str], list[str], list[str]]:
    text = model_text(doc)
    return (tokens(doc.text), WORDS.findall(text.lower()),
            WORDS.findall(text[:RELIABILITY_CHARS].lower()))


def test_page_words_equal_separate_tokenisations() -> None:
    rng = random.Random(7)
    docs = _pages() + [_random_doc(rng, alphabet) for alphabet in ALPHABETS for _ in range(150)]
    for doc in docs:
        words = page_words(doc)
        assert (words.text, words.model, words.head) == _direct(doc)


def test_letter_words_and_prefix_tokens_match_their_regexes() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        alphabet = rng.choice(ALPHABETS)
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert letter_words(tokens(text)) == WORDS.findall(text.lower())
        cuts = sorted(rng.randint(0, len(text)) for _ in range(3)) + [len(text)]
        assert prefix_tokens(text, cuts) == [tokens(text[:cut]) for cut in cuts]


def test_add_to_cart_buttons_equal_searching_each_button() -> None:
    rng = random.Random(3)
    labels = ["Add to cart", "add  to", "cart", "Buy now!", "buy", "In den Warenkorb", "kup",
              "Kup teraz", "x" * 70 + " add to cart", "Details", "beli", "Koszyk", "acheter",
              "add to wishlist", ""]
    for _ in range(500):
        clickable = rng.sample(labels, rng.randint(0, len(labels)))
        expected = [b for b in clickable if len(b) < 60 and ADD_TO_CART.search(b)][:5]
        assert add_to_cart_buttons(clickable, tokens(" | ".join(clickable))) == expected


def test_signals_and_prediction_same_with_or_without_shared_work() -> None:
    model = load_model()
    for doc in _pages():
        shared = prepare(doc)
        alone = replace(shared, words=None, hay_scan=None)
        assert [s.as_dict() for s in extract_signals(doc)] == \
            [s.as_dict() for s in shared.signals]
        one, other = model.predict(shared), model.predict(alone)
        assert (one.probability, one.ecommerce, one.evidence) == \
            (other.probability, other.ecommerce, other.evidence)
        assert prepare(doc, keep_scans=False).words is None


def test_site_characteristics_same_with_shared_scans_and_cached_links() -> None:
    docs = [parse_html(shop_page("de", 2), "https://shop.example/"),
            parse_html(service_page("fr"), "https://shop.example/kontakt/"),
            parse_html('<a href="https://www.facebook.com/shop">f</a><a href="/jobs">Jobs</a>'
                       '<a href="//www.etsy.com/shop/x">Etsy</a><script src="https://cdn.'
                       'shopify.com/s.js"></script>', "https://shop.example/a/b")]
    plain = site_characteristics(docs)
    shared = site_characteristics(docs, [], [prepare(doc).hay_scan for doc in docs])
    assert {t: (c.label, c.evidence) for t, c in plain.items()} == \
        {t: (c.label, c.evidence) for t, c in shared.items()}
    assert plain["social_media"].label == "yes" and plain["platform"].label == "Shopify"


@pytest.mark.parametrize("page", ["https://a.example/x/y.html", "http://a.example/x/",
                                  "https://a.example", "https://a.example/x?q=1", "", "a/b"])
def test_cached_link_resolution_equals_urljoin(page: str) -> None:
    hrefs = ["/", "/a/../b", "//cdn.example/x", "https://b.example/c?d#e", "http://b.example",
             "https://", "https:///x", "https://?q", "http://#f", "x.html", "../up", "?q=2",
             "mailto:a@b.example", "/;p?q", "HTTPS://C.example/", "/a\tb", "https://[::1/"]
    resolve = Resolver()
    for other in (page, page + "z", page):  # a second page of the same site, then the first
        resolve.page(other)
        for href in hrefs:
            link = Link(href, "")
            assert resolve(link) == link.resolve(other), (other, href)


def test_from_stored_links_and_forms_do_not_break_sharing() -> None:
    doc = PageDoc(url="https://s.example/", text="Warenkorb 12,99 €", links=[Link("/cart", "")],
                  forms=[Form("/cart/add", "post", ["qty"], ["In den Warenkorb"])])
    words = page_words(doc)
    assert (words.text, words.model, words.head) == _direct(doc)
    assert {s.name for s in prepare(doc).signals} >= {"cart_url", "cart_form", "add_to_cart"}


def test_long_lived_objects_are_frozen_only_while_classifying() -> None:
    before = gc.get_freeze_count()
    with long_lived_frozen():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0


def test_find_prices_equals_the_price_regex() -> None:
    from ecomstat.classifiers.ecommerce.signals import PRICE, find_prices

    rng = random.Random(5)
    # digits (also non-ASCII decimal ones), separators, spaces, every currency's letters and
    # ones that start a currency inside another ("CHFt 5": "Ft" after "CH")
    alphabet = list("0123456789" * 3 + " .,\u00a0\u2009\n٣€$£¥₹R US kr.Rp.zł CHFEURUSDPLNKčFtab")
    texts = ["CHFt 5", "US$ 12,99", "12.999,00 €uro 5 €", "kr. 5 kr.5 5 kr", "R$ 1.299,00",
             "2024 — 1 200 000 PLN", "10 EURO 10 EUR", "Ft5 5Ft 5 Ftx"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
              for _ in range(20_000)]
    for page in _pages():
        texts.append(page.text)
    for text in texts:
        assert find_prices(text) == PRICE.findall(text), text


def test_cart_url_search_on_lower_cased_ascii_equals_the_case_insensitive_regex() -> None:
    from ecomstat.classifiers.ecommerce.signals import CART_URL, _search_cart_url

    rng = random.Random(3)
    parts = ["/", "Cart", "CART", "cart", "?", "&", "=", "#", ".", "\n", "Add-To-Cart", "x",
             "Route=Checkout/", "Basket", "ſ", "K", "KASSE", "/checkout/cart", "bag"]
    for _ in range(20_000):
        paths = "".join(rng.choice(parts) for _ in range(rng.randint(0, 12)))
        expected = CART_URL.search(paths)
        got = _search_cart_url(paths)
        assert (got and got.span()) == (expected and expected.span()), paths
