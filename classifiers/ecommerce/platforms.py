"""Shop-platform fingerprints: our own short list of facts (asset hosts, script globals, generator
tags, markup classes) that identify the common shop systems. Learned from the public knowledge
collected in the webappanalyzer project (GPL-3; no file or pattern list copied, only the facts
re-expressed as a few substrings per platform).

Matching runs over a small "haystack" built from a page (resource URLs, meta generator, html/body/
form classes, the start of inline scripts, link URLs), never over the whole HTML, so it is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ahocorasick

from ecomstat.classifiers.html import PageDoc

# platform -> fingerprints, matched on the lower-cased haystack: a plain string matches as a
# substring, "=word" matches a whole word only. Only shop systems: a CMS without its shop module
# is not evidence of web sales.
SHOP_PLATFORMS: dict[str, tuple[str, ...]] = {
    "Shopify": ("cdn.shopify.com", ".myshopify.com", "shopify.theme", "shopifyanalytics",
                "shopify-checkout-api-token", "shopifycdn"),
    "WooCommerce": ("=woocommerce", "wc_add_to_cart_params", "woocommerce_params",
                    "?add-to-cart=", "wc-block-", "generator=woocommerce"),
    "Magento": ("mage.cookies", "text/x-magento-init", "/frontend/magento/", "skin/frontend/",
                "mage/cookies", "varienform", "/checkout/cart/add", "magento_"),
    "Shopware": ("/bundles/storefront/", "=shopware", "/engine/shopware/"),
    "PrestaShop": ("=prestashop", "/modules/ps_", "/themes/classic/assets/"),
    "OpenCart": ("catalog/view/theme/", "catalog/view/javascript/", "route=checkout/",
                 "route=product/"),
    "BigCommerce": (".bigcommerce.com", "bigcommerce_config", "=bigcommerce"),
    "Wix Stores": ("wixstores", "wix-ecommerce"),
    "Squarespace Commerce": ("squarespace-commerce", "/universal/scripts-compressed/commerce-"),
    "Ecwid": ("app.ecwid.com", "=ecwid"),
    "Salesforce Commerce Cloud": ("/demandware.static/", "dwanalytics"),
    "VTEX": ("vteximg.com.br", "vtexassets.com", "=vtex"),
    "Nuvemshop": ("nuvemshop", "tiendanube"),
    "Loja Integrada": ("lojaintegrada", "loja_id"),
    "Tray": ("tcdn.com.br", "traycorp"),
    "Lightspeed": ("webshopapp.com", "seoshop"),
    "JTL-Shop": ("jtl-shop", "jtlshop", "/templates/nova/"),
    "Gambio": ("templates/gambio/", "gm_javascript", "=gambio"),
    "OXID eShop": ("oxid eshop", "/out/flow/", "cl=basket"),
    "Plentymarkets": ("plentymarkets", "plenty-shop", "plentycdn"),
    "Shoper": ("shoper.pl", "=shoper"),
    "IdoSell": ("idosell", "iai_ajax", "iai-shop"),
    "Shoptet": ("myshoptet.com", "=shoptet"),
    "Sylius": ("sylius",),
    "osCommerce": ("oscsid", "oscommerce"),
    "Jumpseller": ("jumpseller",),
    "Shopline": ("shoplineapp", "=shopline"),
    "WiziShop": ("wizishop", "wiziblock"),
    "Webflow Ecommerce": ("w-commerce-commerce",),
    "Snipcart": ("cdn.snipcart.com", "snipcart-add-item"),
    "FoxyCart": ("foxycart.com", "foxy.io"),
}


class FingerprintMatcher:
    """All fingerprints of some tables found in one Aho-Corasick pass over a text (instead of
    one substring search per fingerprint: ~170 searches over a 50 kB haystack cost ~2 ms).

    `scan(text)` gives (substrings found, words found): a "=word" fingerprint counts when the
    word occurs as a whole `\\w+` token (no word character either side), exactly what looking
    it up in `set(tokens(text))` would say; `text` must already be lower-cased."""

    def __init__(self, tables: Iterable[Mapping[str, tuple[str, ...]]]) -> None:
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        self._words: set[str] = set()
        for table in tables:
            for fingerprints in table.values():
                for fingerprint in fingerprints:
                    key = fingerprint.lstrip("=")
                    if "\n" in key:  # texts are joined with newlines (see signals)
                        raise ValueError(f"fingerprint {fingerprint!r} contains a newline")
                    if fingerprint[0] == "=":
                        self._words.add(key)
                    self._automaton.add_word(key, key)
        self._automaton.make_automaton()

    def scan(self, text: str) -> tuple[set[str], set[str]]:
        found: set[str] = set()
        words: set[str] = set()
        last = len(text) - 1
        for end, key in self._automaton.iter(text):
            found.add(key)
            if key in self._words and key not in words:
                start = end - len(key) + 1
                if (start == 0 or not _is_word_char(text[start - 1])) and \
                        (end == last or not _is_word_char(text[end + 1])):
                    words.add(key)
        return found, words


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # the definition of re's \w on str


def table_hits(table: Mapping[str, tuple[str, ...]], found: set[str],
               words: set[str]) -> list[tuple[str, str]]:
    """`match_fingerprints` from the sets a `FingerprintMatcher.scan` returned."""
    hits = []
    for name, fingerprints in table.items():
        for fingerprint in fingerprints:
            if fingerprint[0] == "=" and fingerprint[1:] in words or \
                    fingerprint[0] != "=" and fingerprint in found:
                hits.append((name, fingerprint.lstrip("=")))
                break
    return hits


def match_fingerprints(
    table: dict[str, tuple[str, ...]], hay: str, words: set[str]
) -> list[tuple[str, str]]:
    """[(name, matched fingerprint)] for every entry of `table` found in the lower-cased `hay`
    (substrings) or in `words` (the hay's word set, for "=word" fingerprints)."""
    found = []
    for name, fingerprints in table.items():
        for fingerprint in fingerprints:
            if fingerprint[0] == "=" and fingerprint[1:] in words or \
                    fingerprint[0] != "=" and fingerprint in hay:
                found.append((name, fingerprint.lstrip("=")))
                break
    return found


def haystack(doc: PageDoc) -> str:
    parts = [" ".join(doc.resources[:300]), "generator=" + doc.meta.get("generator", ""),
             doc.meta.get("application-name", ""), doc.classes[:10_000], doc.scripts,
             " ".join(form.action for form in doc.forms),
             " ".join(link.url for link in doc.links[:300])]
    return "\n".join(parts).lower()


PLATFORM_MATCHER = FingerprintMatcher([SHOP_PLATFORMS])


def detect_platforms(doc: PageDoc, hay: str | None = None) -> list[tuple[str, str]]:
    """[(platform, matched fingerprint)] for every shop platform whose fingerprint is present."""
    hay = haystack(doc) if hay is None else hay
    return table_hits(SHOP_PLATFORMS, *PLATFORM_MATCHER.scan(hay))
