"""`shop_listing`: product listings of online shops (name, price, currency, availability, brand,
GTIN/SKU, breadcrumb, product and image URL): schema.org markup first (JSON-LD, microdata via
extruct), markup heuristics second. Follows pagination and category links first, then product
pages, up to ECOMSTAT_MAX_SHOP_PAGES pages per shop.

    scrapy crawl shop_listing -a urls=https://shop.example
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from ecomstat.spiders.items import ProductItem
from ecomstat.spiders.links import is_page_url
from ecomstat.spiders.products import breadcrumb_of, products_from_markup, products_from_structured
from ecomstat.spiders.spiders.enterprise_site import EnterpriseSiteSpider, SiteState

PAGINATION_TEXT = re.compile(r"^(next|weiter|nächste|suivant|siguiente|successivo|próxima|"
                             r"volgende|następna|berikutnya|›|»|>|>>)\b", re.I)
PAGINATION_URL = re.compile(r"[?&](page|p|pg|seite|pagina|strona|halaman)=\d+|/page/\d+", re.I)
CATEGORY_URL = re.compile(r"/(category|categories|collections?|shop|products|catalog|catalogue|"
                          r"kategorie|categorie|categoria|c|store|tienda|boutique|sklep|"
                          r"produkte|produits|productos)(/|$)", re.I)
PRODUCT_URL = re.compile(r"/(product|products|produkt|produit|producto|prodotto|p|item|dp)/", re.I)


class ShopListingSpider(EnterpriseSiteSpider):
    name = "shop_listing"
    max_pages_setting = "ECOMSTAT_MAX_SHOP_PAGES"
    max_depth_setting = "ECOMSTAT_MAX_SHOP_DEPTH"
    store_pages = False

    def page_items(self, response: Response, site: SiteState, request_url: str, depth: int,
                   outcome: str, rendered: bool, content: Any) -> Iterator[Any]:
        if outcome != "ok":
            return
        structured = content.structured_data or {}
        products = products_from_structured(structured, response.url)
        if not products and content.tree is not None:
            products = products_from_markup(content.tree, response.url)
        breadcrumb = breadcrumb_of(structured)
        seen: set[tuple[str, str]] = set()
        for product in products:
            key = (product["url"], product["name"])
            if key in seen:
                continue
            seen.add(key)
            self.crawler.stats.inc_value(f"ecomstat/products/{product['source']}")
            yield ProductItem(website_id=site.website_id, breadcrumb=breadcrumb, **product)

    def link_score(self, link: dict[str, str]) -> float | None:
        url = link["url"]
        if not is_page_url(url):
            return None
        text = link.get("text", "").strip()
        if PAGINATION_URL.search(url) or PAGINATION_TEXT.match(text):
            return 10.0
        path = urlsplit(url).path
        if PRODUCT_URL.search(path):
            return 5.0
        if CATEGORY_URL.search(path):
            return 8.0
        return None  # imprint, blog, ... are not listings
