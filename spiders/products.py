"""Product listings from a shop page: schema.org Product in JSON-LD and microdata first (extruct),
markup heuristics second; prices and currencies through price-parser. Plus the batched, idempotent
write of product rows (natural key: product URL + name)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urljoin

from price_parser import Price
from sqlalchemy import Engine

from ecomstat.spiders.items import ProductItem
from ecomstat.store import transaction
from ecomstat.store.models import Product, utcnow

CURRENCY_SYMBOLS = {
    "€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "zł": "PLN", "R$": "BRL", "Rp": "IDR",
    "¥": "JPY", "Kč": "CZK", "kr": "SEK", "Fr.": "CHF", "CHF": "CHF", "₹": "INR", "₺": "TRY",
}
ISO_CURRENCY = re.compile(r"^[A-Z]{3}$")
PRICE_TEXT = re.compile(r"(\d[\d.,\s]*\s?(€|EUR|\$|USD|£|GBP|zł|PLN|R\$|BRL|Rp|IDR|CHF|Kč))|"
                        r"((€|\$|£|R\$|Rp)\s?\d)", re.I)
GTIN_KEYS = ("gtin13", "gtin", "gtin12", "gtin14", "gtin8", "ean")


def currency_code(raw: str | None, hint: str | None = None) -> str | None:
    for value in (raw, hint):
        if not value:
            continue
        value = value.strip()
        if ISO_CURRENCY.match(value.upper()) and value.upper() not in ("", "PRE"):
            return value.upper()
        if value in CURRENCY_SYMBOLS:
            return CURRENCY_SYMBOLS[value]
    return None


def parse_price(value: Any, currency: str | None = None) -> tuple[float | None, str | None]:
    if value is None or value == "":
        return None, currency_code(currency)
    if isinstance(value, (int, float)):
        return float(value), currency_code(currency)
    price = Price.fromstring(str(value), currency_hint=currency)
    amount = float(price.amount) if price.amount is not None else None
    return amount, currency_code(currency, price.currency) or currency_code(price.currency)


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@id") or value.get("url")
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text or None


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type") or node.get("type") or []
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds}


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def breadcrumb_of(structured: dict[str, Any]) -> str | None:
    for node in _walk(structured.get("json-ld", [])):
        if "BreadcrumbList" in _types(node):
            names = []
            for element in node.get("itemListElement") or []:
                if isinstance(element, dict):
                    name = _text(element.get("name") or (element.get("item") or {}))
                    if name:
                        names.append(name)
            if names:
                return " > ".join(names)
    return None


def _from_jsonld(node: dict[str, Any], page_url: str) -> dict[str, Any]:
    offers = _first(node.get("offers")) or {}
    if not isinstance(offers, dict):
        offers = {}
    raw_price = offers.get("price", offers.get("lowPrice"))
    price, currency = parse_price(raw_price, offers.get("priceCurrency"))
    availability = _text(offers.get("availability"))
    gtin = next((str(node[k]) for k in GTIN_KEYS if node.get(k)), None)
    image = _first(node.get("image"))
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    url = _text(node.get("url")) or _text(offers.get("url")) or page_url
    return {
        "name": _text(node.get("name")), "price": price, "currency": currency,
        "availability": availability.rsplit("/", 1)[-1] if availability else None,
        "brand": _text(node.get("brand")), "gtin": gtin, "sku": _text(node.get("sku")),
        "description": (_text(node.get("description")) or "")[:2000] or None,
        "image_url": urljoin(page_url, str(image)) if image else None,
        "url": urljoin(page_url, url),
    }


def products_from_structured(structured: dict[str, Any], page_url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for node in _walk(structured.get("json-ld", [])):
        if "Product" in _types(node) and node.get("name"):
            found.append({**_from_jsonld(node, page_url), "source": "json-ld"})
    for item in structured.get("microdata", []):
        for node in _walk(item):
            if "Product" in _types(node) and isinstance(node.get("properties"), dict):
                props = dict(node["properties"])
                offers = _first(props.get("offers"))
                if isinstance(offers, dict) and isinstance(offers.get("properties"), dict):
                    props["offers"] = offers["properties"]
                if props.get("name"):
                    found.append({**_from_jsonld(props, page_url), "source": "microdata"})
    return found


def products_from_markup(tree: Any, page_url: str) -> list[dict[str, Any]]:
    """Heuristics: repeated product tiles (class mentions product/item/card) with a price."""
    found: list[dict[str, Any]] = []
    for element in tree.xpath(
            "//*[self::li or self::div or self::article]"
            "[contains(translate(@class,'PRODUCT','product'),'product')]"):
        if element.xpath(".//*[contains(translate(@class,'PRODUCT','product'),'product')]"
                         "[.//*[contains(@class,'price')]]"):
            continue  # a container of tiles, not a tile
        text = re.sub(r"\s+", " ", element.text_content()).strip()
        price_nodes = element.xpath(".//*[contains(@class,'price')]")
        price_text = price_nodes[0].text_content() if price_nodes else text
        if not PRICE_TEXT.search(price_text):
            continue
        price, currency = parse_price(price_text)
        heading = element.xpath(".//*[self::h1 or self::h2 or self::h3 or self::h4]"
                                "|.//*[contains(@class,'title') or contains(@class,'name')]")
        name = re.sub(r"\s+", " ", heading[0].text_content()).strip() if heading else None
        link = element.xpath(".//a/@href")
        image = element.xpath(".//img/@src")
        if not name:
            anchors = [a for a in element.xpath(".//a") if a.text_content().strip()]
            name = anchors[0].text_content().strip() if anchors else None
        if not name:
            continue
        found.append({
            "name": name[:500], "price": price, "currency": currency, "availability": None,
            "brand": None, "gtin": None, "sku": None, "description": None,
            "image_url": urljoin(page_url, image[0]) if image else None,
            "url": urljoin(page_url, link[0]) if link else page_url, "source": "heuristic",
        })
    return found


def write_products(engine: Engine, run_id: int, items: Sequence[ProductItem]) -> None:
    from ecomstat.store.upsert import upsert

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    now = utcnow()
    for item in items:
        rows[(item.url, item.name)] = {
            "website_id": item.website_id, "run_id": run_id, "url": item.url, "name": item.name,
            "price": item.price, "currency": item.currency, "availability": item.availability,
            "brand": item.brand, "gtin": item.gtin, "sku": item.sku,
            "breadcrumb": item.breadcrumb, "description": item.description,
            "image_url": item.image_url, "source": item.source, "fetched_at": now,
        }
    with transaction(engine) as session:
        values = list(rows.values())
        for start in range(0, len(values), 200):
            upsert(session, Product, values[start:start + 200], keys=["url", "name"])
