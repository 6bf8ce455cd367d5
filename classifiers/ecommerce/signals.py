"""E-commerce signals of one page, each with the snippet or URL that fired it.

Signals are language-aware through multilingual lexicons (en, de, fr, es, pt, it, nl, pl, id):
cart/basket/checkout links, add-to-cart buttons and forms, prices with a currency, payment
providers, ordering/booking engines and phrases, shop-platform fingerprints, schema.org
Product/Offer markup, and the opposite evidence of an article page. `signal_features` turns them
into the fixed numeric vector the combined model weighs; the evidence lists keep what fired.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from price_parser import Price

from ecomstat.classifiers.ecommerce.platforms import (SHOP_PLATFORMS, FingerprintMatcher, haystack,
                                             table_hits)
from ecomstat.classifiers.html import PageDoc
from ecomstat.classifiers.lexicon import Lexicon, snippet, tokens


def _words(*phrases: str) -> Lexicon:
    return Lexicon(phrases)


CART_WORDS = _words(
    "cart", "shopping cart", "basket", "shopping bag", "my bag", "checkout", "check out",
    "warenkorb", "einkaufswagen", "zur kasse", "kasse", "panier", "mon panier", "commander",
    "carrito", "cesta", "mi cesta", "finalizar compra", "carrinho", "sacola", "meu carrinho",
    "carrello", "cassa", "il mio carrello", "winkelwagen", "winkelmandje", "winkelmand",
    "afrekenen", "koszyk", "do kasy", "keranjang", "keranjang belanja", "troli",
)
CART_URL = re.compile(
    r"/(?:cart|basket|checkout|bag|warenkorb|kasse|panier|commande|carrito|cesta|carrinho|"
    r"sacola|carrello|cassa|winkelwagen|winkelmand|afrekenen|koszyk|zamowienie|keranjang|"
    r"checkout/cart)(?:[/?#.]|$)|[?&](?:add-to-cart|add_to_cart|addtocart)=|route=checkout/",
    re.I,
)
_CART_URL_LOWER = re.compile(CART_URL.pattern)  # for lower-cased ASCII text
ADD_TO_CART = _words(
    "add to cart", "add to basket", "add to bag", "add to trolley", "buy now", "buy it now",
    "in den warenkorb", "in den einkaufswagen", "jetzt kaufen", "sofort kaufen",
    "ajouter au panier", "acheter maintenant", "acheter", "añadir al carrito", "añadir a la cesta",
    "agregar al carrito", "comprar ahora", "comprar", "adicionar ao carrinho", "adicionar à sacola",
    "comprar agora", "aggiungi al carrello", "acquista ora", "acquista", "in winkelwagen",
    "toevoegen aan winkelwagen", "in winkelmand", "nu kopen", "dodaj do koszyka", "kup teraz",
    "kup", "tambah ke keranjang", "masukkan keranjang", "beli sekarang", "beli",
)
CART_FIELDS = re.compile(
    r"^(?:qty|quantity|quantities|amount|menge|anzahl|quantite|cantidad|quantidade|quantita|"
    r"aantal|ilosc|jumlah|add-to-cart|add_to_cart|product_id|productid|variant_id|id\[\]|"
    r"sku|super_attribute.*|items\[\d*\]\[.*\]|cart.*|basket.*)$",
    re.I,
)
ORDER_PHRASES = _words(
    "order online", "order now", "shop now", "shop online", "online shop", "online store",
    "webshop", "web shop", "book now", "book online", "book a table", "reserve a table",
    "jetzt bestellen", "online bestellen", "bestellen", "jetzt buchen", "online buchen",
    "tisch reservieren", "onlineshop", "commander en ligne", "boutique en ligne", "réserver",
    "réserver en ligne", "pedir online", "haz tu pedido", "tienda online", "tienda en línea",
    "reservar", "reservar online", "loja online", "loja virtual", "peça já", "faça seu pedido",
    "ordina online", "negozio online", "prenota", "prenota ora", "bestel online", "bestel nu",
    "reserveren", "reserveer", "reserveer een tafel", "boek nu", "online boeken",
    "zamów online", "zamów teraz", "sklep internetowy", "rezerwuj", "zarezerwuj",
    "pesan sekarang", "pesan online", "toko online", "belanja sekarang", "reservasi",
    "reservasi online", "pesan meja", "pesan tempat",
)
SHOP_TERMS = _words(
    "free shipping", "free delivery", "in stock", "out of stock", "sold out", "add to wishlist",
    "wishlist", "incl. vat", "inc vat", "excl. vat", "shipping costs", "delivery time",
    "returns", "size guide", "inkl. mwst", "zzgl. versand", "versandkostenfrei", "versandkosten",
    "auf lager", "lieferzeit", "merkzettel", "wunschliste", "ausverkauft", "livraison gratuite",
    "en stock", "rupture de stock", "frais de port", "ttc", "liste d'envies", "envío gratis",
    "envío gratuito", "gastos de envío", "iva incluido", "agotado", "lista de deseos",
    "frete grátis", "em estoque", "esgotado", "parcelas", "sem juros", "lista de desejos",
    "spedizione gratuita", "disponibile", "esaurito", "iva inclusa", "spese di spedizione",
    "gratis verzending", "op voorraad", "uitverkocht", "incl. btw", "verzendkosten",
    "verlanglijst", "darmowa dostawa", "dostępny", "wyprzedany", "koszt dostawy",
    "gratis ongkir", "ongkos kirim", "stok habis", "tersedia", "sku", "ean",
)
ACCOUNT_WORDS = _words(
    "my account", "sign in", "log in", "mein konto", "anmelden", "mon compte", "se connecter",
    "mi cuenta", "iniciar sesión", "minha conta", "entrar", "il mio account", "accedi",
    "mijn account", "inloggen", "moje konto", "zaloguj", "akun saya", "masuk",
)
# provider -> fingerprints (substring, or "=word" for a whole word), on haystack + page footer.
PAYMENT_PROVIDERS: dict[str, tuple[str, ...]] = {
    "PayPal": ("paypal",), "Stripe": ("js.stripe.com", "=stripe"), "Klarna": ("klarna",),
    "Adyen": ("adyen",), "Mollie": ("mollie",), "iDEAL": ("=ideal",),
    "Mercado Pago": ("mercadopago", "mercado pago"), "PagSeguro": ("pagseguro", "pagbank"),
    "Midtrans": ("midtrans",), "Xendit": ("xendit",), "DOKU": ("=doku",),
    "Przelewy24": ("przelewy24", "=p24"), "PayU": ("=payu",), "BLIK": ("=blik",),
    "Sofort": ("sofortüberweisung", "sofortueberweisung", "=sofort"), "Giropay": ("giropay",),
    "Afterpay": ("afterpay", "clearpay"), "Apple Pay": ("apple pay", "applepay", "apple-pay"),
    "Google Pay": ("google pay", "googlepay", "google-pay"),
    "Amazon Pay": ("amazon pay", "amazonpay", "amazon-pay"), "Braintree": ("braintree",),
    "Square": ("squareup.com",), "Worldpay": ("worldpay",), "Bancontact": ("bancontact",),
    "Bizum": ("=bizum",), "Satispay": ("satispay",), "Multibanco": ("multibanco", "mb way"),
    "Pix": ("=pix",), "Boleto": ("=boleto",), "GoPay/OVO/DANA": ("=gopay", "=ovo"),
}
BOOKING_ENGINES: dict[str, tuple[str, ...]] = {
    "OpenTable": ("opentable",), "TheFork": ("thefork", "lafourchette"), "Resy": ("resy.com",),
    "Quandoo": ("quandoo",), "SevenRooms": ("sevenrooms",), "resmio": ("resmio",),
    "Formitable": ("formitable",), "Zenchef": ("zenchef",), "CoverManager": ("covermanager",),
    "SiteMinder": ("siteminder",), "Cloudbeds": ("cloudbeds",), "SynXis": ("synxis",),
    "Mews": ("mews.com", "mews.li"), "Bookassist": ("bookassist",), "D-EDGE": ("d-edge",),
    "Simple Booking": ("simplebooking",), "booking engine": ("booking-engine", "bookingengine"),
    "Treatwell": ("treatwell",), "Fresha": ("fresha.com",), "Calendly": ("calendly.com",),
    "Acuity": ("acuityscheduling",), "SimplyBook.me": ("simplybook",), "Setmore": ("setmore",),
    "Doctolib": ("doctolib",), "GloriaFood": ("gloriafood",), "Flipdish": ("flipdish",),
    "Lieferando/Just Eat": ("lieferando", "just-eat", "justeat", "pyszne.pl", "thuisbezorgd"),
    "Uber Eats": ("ubereats",), "Deliveroo": ("deliveroo",), "iFood": ("ifood.com",),
    "GoFood/GrabFood": ("gofood", "grabfood"),
}
_HOST = re.compile(r"(?m)^(?:[a-z][a-z0-9+.-]*:)?//[^/\n]*", re.I)
_CURRENCY = (r"(?:€|£|\$|R\$|US\$|zł|Rp\.?|¥|₹|CHF|EUR|USD|GBP|PLN|BRL|IDR|SEK|DKK|NOK|CZK|HUF|"
             r"kr\.?|Kč|Ft)")
_AMOUNT = r"\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
PRICE = re.compile(rf"(?:{_CURRENCY}\s?(?:{_AMOUNT}))|(?:(?:{_AMOUNT})\s?{_CURRENCY})(?![a-z])")
# PRICE's two branches as separate patterns, for `find_prices`. Each starts with a literal or a
# digit, so `re` skips to candidate positions in C; PRICE itself starts with a group and is
# tried at every character. _AMOUNT with its leading digit factored out (same matches, same
# backtracking order).
_PRICE_CURRENCY_FIRST = re.compile(rf"{_CURRENCY}\s?(?:{_AMOUNT})")
_PRICE_AMOUNT_FIRST = re.compile(
    rf"\d(?:\d{{0,2}}(?:[.,\s]\d{{3}})*(?:[.,]\d{{1,2}})?|\d*(?:[.,]\d{{1,2}})?)\s?{_CURRENCY}"
    r"(?![a-z])")
_CURRENCY_ANY = re.compile(_CURRENCY)
ARTICLE_TYPES = re.compile(r"^(?:newsarticle|article|blogposting|reportagenewsarticle|"
                           r"analysisnewsarticle|opinionnewsarticle|scholarlyarticle|techarticle)$",
                           re.I)
PRODUCT_TYPES = re.compile(r"^(?:product|productgroup|offer|aggregateoffer|individualproduct|"
                           r"productmodel|someproducts|car|vehicle|menuitem|hotelroom|"
                           r"lodgingreservation|foodestablishmentreservation)$", re.I)

FINGERPRINTS = FingerprintMatcher([SHOP_PLATFORMS, PAYMENT_PROVIDERS, BOOKING_ENGINES])
HayScan = tuple[set[str], set[str]]  # FingerprintMatcher.scan: (substrings, whole words) found

# Order matters: it is the column order of the feature vector stored with the model.
FEATURES = (
    "schema_product", "schema_offer_price", "schema_article", "og_product", "og_article",
    "platform", "cart_link", "cart_url", "add_to_cart", "cart_form", "cart_fields", "prices",
    "payment", "booking_engine", "order_phrase", "shop_terms", "account", "article_meta",
    "text_length", "n_links",
)


@dataclass
class Signal:
    name: str
    value: float
    evidence: str  # the snippet, URL or value that fired it

    def as_dict(self) -> dict[str, Any]:
        return {"signal": self.name, "value": round(self.value, 3), "evidence": self.evidence}


def find_prices(text: str) -> list[str]:
    """Exactly `PRICE.findall(text)`, several times faster: the leftmost match of either
    branch, the currency-first branch winning a tie (as in the alternation), scanning on from
    its end. Every match holds a currency, so a text without one has no price."""
    currencies = [m.start() for m in _CURRENCY_ANY.finditer(text)]
    if not currencies:
        return []
    found: list[str] = []
    currency_first = _PRICE_CURRENCY_FIRST.search(text)
    amount_first = _amount_first(text, 0, currencies)
    while currency_first is not None or amount_first is not None:
        if amount_first is None or (currency_first is not None
                                    and currency_first.start() <= amount_first.start()):
            match = currency_first
        else:
            match = amount_first
        found.append(match.group())
        end = match.end()
        if currency_first is not None and currency_first.start() < end:
            currency_first = _PRICE_CURRENCY_FIRST.search(text, end)
        if amount_first is not None and amount_first.start() < end:
            amount_first = _amount_first(text, end, currencies)
    return found


def _amount_first(text: str, pos: int, currencies: list[int]) -> re.Match[str] | None:
    """`_PRICE_AMOUNT_FIRST.search(text, pos)` without trying the pattern at every digit of
    the text (most digits are dates and phone numbers, and that search was most of the price
    signal's cost). A match is digits, '.', ',' and whitespace up to a currency, so it starts
    in the run of such characters right before one of the `currencies` (the starts of the
    non-overlapping currency matches: a currency starting inside another is never preceded by
    such a character, '.', the only one a currency holds, being its last). No currency starts
    with such a character, so the runs lie left to right in the order of the currencies; they
    are short, and the pattern is tried at their digits only."""
    for currency in currencies[bisect_right(currencies, pos):]:
        start = currency
        while start > pos and _is_amount_char(text[start - 1]):
            start -= 1
        for at in range(start, currency):
            if text[at].isdecimal() and (match := _PRICE_AMOUNT_FIRST.match(text, at)):
                return match
    return None


def _is_amount_char(char: str) -> bool:
    # re's \d on str is str.isdecimal, its \s is str.isspace.
    return char.isdecimal() or char == "." or char == "," or char.isspace()


def _search_cart_url(paths: str) -> re.Match[str] | None:
    """`CART_URL.search(paths)`. Case-insensitive matching costs about twice as much as plain
    matching on a lower-cased copy, which finds the same places when the text is ASCII (as
    nearly every URL is): lower() then changes no length, and no ASCII letter folds to another
    letter than its own lower case."""
    if paths.isascii():
        return _CART_URL_LOWER.search(paths.lower())
    return CART_URL.search(paths)


def add_to_cart_buttons(clickable: list[str], clickable_words: list[str]) -> list[str]:
    """`[b for b in clickable if len(b) < 60 and ADD_TO_CART.search(b)][:5]`, given the tokens
    of all of them joined, without tokenising every button: a phrase inside one button is also
    found in the joined tokens (or a longer phrase with the same first word is), so only buttons
    containing the first word of a phrase found there are searched."""
    found = ADD_TO_CART.find_all(clickable_words, limit=len(ADD_TO_CART.phrases))
    firsts = {phrase.split(" ")[0] for phrase in found}
    hits: list[str] = []
    for button in clickable if firsts else ():
        if len(button) < 60 and _contains_any(button.lower(), firsts) and \
                ADD_TO_CART.search(button):
            hits.append(button)
            if len(hits) == 5:
                break
    return hits


def _contains_any(text: str, words: set[str]) -> bool:
    return any(word in text for word in words)


def _schema_types(item: Any, depth: int = 0) -> list[tuple[str, Any]]:
    """(type, node) for every typed node in a JSON-LD document (walks @graph and nesting)."""
    found: list[tuple[str, Any]] = []
    if depth > 6:
        return found
    if isinstance(item, list):
        for child in item[:200]:
            found.extend(_schema_types(child, depth + 1))
    elif isinstance(item, dict):
        kind = item.get("@type")
        for name in kind if isinstance(kind, list) else [kind]:
            if isinstance(name, str):
                found.append((name.rsplit("/", 1)[-1], item))
        for key, value in item.items():
            if isinstance(value, (dict, list)) and key != "@context":
                found.extend(_schema_types(value, depth + 1))
    return found


def _has_price(node: Any, depth: int = 0) -> bool:
    if not isinstance(node, dict) or depth > 8:  # hostile offers-in-offers nesting
        return False
    if any(node.get(k) not in (None, "", []) for k in ("price", "lowPrice", "highPrice")):
        return True
    offers = node.get("offers")
    offers = offers if isinstance(offers, list) else [offers]
    return any(_has_price(o, depth + 1) for o in offers[:200]
               if isinstance(o, dict) and o is not node)


def scan_haystack(doc: PageDoc) -> HayScan:
    """Platform, payment and booking-engine fingerprints in the page's haystack, in one
    Aho-Corasick pass: (substrings found, whole words found), for `table_hits` with any of the
    three tables (so `characteristics` can reuse it)."""
    return FINGERPRINTS.scan(haystack(doc))


def extract_signals(doc: PageDoc, text_words: list[str] | None = None,
                    hay_scan: HayScan | None = None) -> list[Signal]:
    """Every signal that fired on the page, strongest evidence first within each kind.
    `text_words` (`tokens(doc.text)`, see `words.page_words`) and `hay_scan` (`scan_haystack`)
    are passed when the caller has them already."""
    signals: list[Signal] = []
    add = signals.append
    _structured_data_signals(doc, add)

    hay_found, hay_words = scan_haystack(doc) if hay_scan is None else hay_scan
    text_words = tokens(doc.text) if text_words is None else text_words
    for name, fingerprint in table_hits(SHOP_PLATFORMS, hay_found, hay_words)[:1]:
        add(Signal("platform", 1.0, f"{name} ({fingerprint})"))

    short_anchors, anchor_words = _cart_link_signals(doc, add)
    clickable, clickable_words = _cart_control_signals(doc, add)
    _price_signals(doc, add)
    _payment_signals(doc, add, hay_found, hay_words)
    _wording_signals(doc, add, text_words, short_anchors, anchor_words, clickable, clickable_words)
    return signals


# The parts of extract_signals, in the order their signals are added; each calls `add` with the
# signals it finds.
_Add = Callable[[Signal], None]


def _structured_data_signals(doc: PageDoc, add: _Add) -> None:
    """schema.org (JSON-LD, microdata) product, offer and article types; Open Graph types."""
    types = _schema_types(doc.jsonld)
    product_nodes = [(t, n) for t, n in types if PRODUCT_TYPES.match(t)]
    micro = [t.rsplit("/", 1)[-1] for t in doc.itemtypes]
    micro_products = [t for t in micro if PRODUCT_TYPES.match(t)]
    if product_nodes or micro_products:
        kind = product_nodes[0][0] if product_nodes else micro_products[0]
        source = "json-ld" if product_nodes else "microdata"
        add(Signal("schema_product", 1.0, f"{source} @type {kind}"))
        priced = [n for _, n in product_nodes if _has_price(n)]
        if priced or any(t.lower() == "offer" for t in micro_products):
            add(Signal("schema_offer_price", 1.0, f"{source} Offer with price"))
    articles = [t for t, _ in types if ARTICLE_TYPES.match(t)] + [
        t for t in micro if ARTICLE_TYPES.match(t)]
    if articles:
        add(Signal("schema_article", 1.0, f"schema.org @type {articles[0]}"))
    og_type = doc.meta.get("og:type", "").lower()
    if "product" in og_type or "product:price:amount" in doc.meta or "og:price:amount" in doc.meta:
        add(Signal("og_product", 1.0, f"og:type={og_type or 'product price meta'}"))
    if og_type == "article" or "article:published_time" in doc.meta:
        add(Signal("og_article", 1.0, f"og:type={og_type or 'article:published_time'}"))


def _cart_link_signals(doc: PageDoc, add: _Add) -> tuple[str, list[str]]:
    """Cart links (by their text, then by their path); returns the short anchor texts joined
    and their tokens, which the wording signals reuse."""
    short_anchors = " | ".join(link.text for link in doc.links if 0 < len(link.text) < 40)
    # Each text tokenised once for all lexicons. Texts joined by " | " tokenise (and
    # lower-case) part by part, so the tokens of the joined "actions" are the parts' tokens.
    anchor_words = tokens(short_anchors)
    if word := CART_WORDS.first(anchor_words):
        add(Signal("cart_link", 1.0, f"link '{snippet(short_anchors, word, 0)}'"))
    # One regex pass over all link paths (host names removed so cart.example.com never fires).
    paths = _HOST.sub("", "\n".join(link.url for link in doc.links))
    if match := _search_cart_url(paths):
        line_start = paths.rfind("\n", 0, match.start()) + 1
        line_end = paths.find("\n", match.end())
        add(Signal("cart_url", 1.0, paths[line_start : line_end if line_end >= 0 else None]))
    return short_anchors, anchor_words


def _cart_control_signals(doc: PageDoc, add: _Add) -> tuple[list[str], list[str]]:
    """Add-to-cart buttons, cart forms and cart form fields; returns the clickable texts and
    their tokens, which the wording signals reuse."""
    clickable = doc.buttons + [b for form in doc.forms for b in form.buttons]
    clickable_words = tokens(" | ".join(clickable))
    buttons = add_to_cart_buttons(clickable, clickable_words)
    if buttons:
        add(Signal("add_to_cart", min(len(buttons), 5) / 5, f"button '{buttons[0]}'"))
    for form in doc.forms:
        if CART_URL.search(form.action) or (form.action and "cart" in form.action.lower()):
            add(Signal("cart_form", 1.0, f"form action {form.action}"))
            break
    fields = [f for form in doc.forms for f in form.fields if CART_FIELDS.match(f)]
    if fields:
        add(Signal("cart_fields", 1.0, f"form fields {', '.join(sorted(set(fields))[:4])}"))
    return clickable, clickable_words


def _price_signals(doc: PageDoc, add: _Add) -> None:
    prices = find_prices(doc.text)
    if prices:
        parsed = Price.fromstring(prices[0])
        shown = f"{prices[0].strip()} ({parsed.amount} {parsed.currency or ''})".strip()
        add(Signal("prices", min(math.log1p(len(prices)) / math.log1p(30), 1.0),
                   f"{len(prices)} prices, e.g. {shown}"))


def _payment_signals(doc: PageDoc, add: _Add, hay_found: set[str],
                     hay_words: set[str]) -> None:
    """Payment providers and booking engines."""
    # Payments are looked for in the haystack and the page footer. Scanning the two apart is
    # the same as scanning them joined by a newline: no fingerprint contains one.
    footer_found, footer_words = FINGERPRINTS.scan(doc.text[-6000:].lower())
    payment_words = hay_words | footer_words
    providers = [name for name, _ in table_hits(PAYMENT_PROVIDERS, hay_found | footer_found,
                                                payment_words)]
    if providers:
        add(Signal("payment", min(len(providers), 4) / 4, "payment: " + ", ".join(providers[:6])))
    engines = table_hits(BOOKING_ENGINES, hay_found, payment_words)
    if engines:
        add(Signal("booking_engine", 1.0, f"{engines[0][0]} ({engines[0][1]})"))


def _wording_signals(doc: PageDoc, add: _Add, text_words: list[str], short_anchors: str,
                     anchor_words: list[str], clickable: list[str],
                     clickable_words: list[str]) -> None:
    """Order phrases, shop terms, account links, article meta tags, and the page's size."""
    actions = short_anchors + " | " + " | ".join(clickable) + " | " + doc.title
    if phrase := ORDER_PHRASES.first(anchor_words + clickable_words + tokens(doc.title)):
        add(Signal("order_phrase", 1.0, snippet(actions, phrase, 20)))
    elif phrase := ORDER_PHRASES.first(text_words[:1500]):
        add(Signal("order_phrase", 0.5, snippet(doc.text, phrase, 30)))
    terms = SHOP_TERMS.find_all(text_words, limit=6)
    if terms:
        add(Signal("shop_terms", min(len(terms), 5) / 5, "terms: " + ", ".join(terms)))
    if phrase := ACCOUNT_WORDS.first(anchor_words):
        add(Signal("account", 1.0, f"link '{phrase}'"))
    if any(key in doc.meta for key in ("article:published_time", "article:author", "author",
                                       "dc.date", "parsely-pub-date", "sailthru.date")):
        add(Signal("article_meta", 1.0, "article/author meta tags"))
    add(Signal("text_length", min(math.log1p(len(doc.text)) / math.log1p(30_000), 1.0),
               f"{len(doc.text)} characters of text"))
    add(Signal("n_links", min(math.log1p(len(doc.links)) / math.log1p(1500), 1.0),
               f"{len(doc.links)} links"))


def signal_features(signals: list[Signal]) -> list[float]:
    values = dict.fromkeys(FEATURES, 0.0)
    for signal in signals:
        values[signal.name] = max(values[signal.name], signal.value)
    return [values[name] for name in FEATURES]
