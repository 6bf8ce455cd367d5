"""Shop markup of the sample web, one dialect per platform.

Shopify-like (cdn.shopify.com assets, `Shopify.theme`, /cart, JSON-LD), WooCommerce-like
(`woocommerce` classes, `?add-to-cart=`, JSON-LD), Magento-like (`Mage.Cookies`,
/checkout/cart/, microdata), hand-made (own basket form, no structured data) and the JS-only
shop (an empty `#app` shell whose script renders /api/products.json).
"""

from __future__ import annotations

import json
from html import escape

from ecomstat.sampleweb.catalog import format_price
from ecomstat.sampleweb.model import Product, Site
from ecomstat.sampleweb.naming import slugify
from ecomstat.sampleweb.vocab import slug, word

CURRENCY_CODES = {"EUR": "EUR", "GBP": "GBP", "PLN": "PLN", "BRL": "BRL", "IDR": "IDR"}
PAGE_SIZE = 12


def head_assets(site: Site) -> str:
    if site.kind == "shopify":
        return (
            f'<link rel="stylesheet" href="//cdn.shopify.com/s/files/1/0{site.seed % 900 + 100}/'
            f'{site.seed % 9000 + 1000}/t/3/assets/base.css">\n'
            '<script>window.Shopify = window.Shopify || {};\n'
            f'Shopify.shop = "{escape(site.hostname.split(".")[-3])}.myshopify.com";\n'
            f'Shopify.theme = {{"name":"Dawn","id":{site.seed % 10**9},"role":"main"}};</script>\n'
            '<script src="//cdn.shopify.com/s/trekkie.storefront.min.js" defer></script>'
        )
    if site.kind == "woocommerce":
        return (
            '<meta name="generator" content="WordPress 6.4.2">\n'
            '<meta name="generator" content="WooCommerce 8.5.1">\n'
            "<link rel='stylesheet' href='/wp-content/plugins/woocommerce/assets/css/"
            "woocommerce.css?ver=8.5.1'>"
        )
    if site.kind == "magento":
        return (
            '<link rel="stylesheet" href="/static/version1700000000/frontend/Magento/luma/'
            'en_US/css/styles-m.css">\n'
            '<script type="text/javascript">var Mage = Mage || {}; Mage.Cookies = {}; '
            "Mage.Cookies.path = '/'; Mage.Cookies.domain = '';</script>\n"
            '<script type="text/x-magento-init">{"*": {"Magento_Ui/js/core/app": {}}}</script>'
        )
    if site.kind == "handmade":
        return '<link rel="stylesheet" href="/css/style.css">'
    return ""


def body_class(site: Site) -> str:
    return {"woocommerce": "woocommerce woocommerce-page", "magento": "catalog-category-view",
            "shopify": "template-collection"}.get(site.kind, "")


# --- URLs --------------------------------------------------------------------------------

def listing_path(site: Site, lang: str) -> str:
    shop = slug("shop", lang)
    return {"shopify": "/collections/all", "woocommerce": f"/{shop}/", "magento": f"/{shop}.html",
            "handmade": f"/{shop}.html", "spa": f"/{shop}"}[site.kind]


def product_path(site: Site, product: Product) -> str:
    return {"shopify": f"/products/{product.handle}", "woocommerce": f"/product/{product.handle}/",
            "magento": f"/{product.handle}.html", "handmade": f"/item/{product.handle}.html",
            "spa": f"/p/{product.handle}"}[site.kind]


def cart_path(site: Site, lang: str) -> str:
    return {"shopify": "/cart", "woocommerce": f"/{slug('cart', lang)}/",
            "magento": "/checkout/cart/", "handmade": "/basket.html", "spa": "/cart"}[site.kind]


# --- fragments ----------------------------------------------------------------------------

def price_text(site: Site, product: Product) -> str:
    return format_price(product.price, site.currency, site.country)


def add_to_cart(site: Site, lang: str, product: Product, href) -> str:
    label = escape(word("add_to_cart", lang))
    number = product.sku.split("-")[0]
    if site.kind == "shopify":
        return (f'<form method="post" action="{href("/cart/add")}" class="product-form">'
                f'<input type="hidden" name="id" value="{number}">'
                f'<button type="submit" name="add" class="product-form__submit">{label}</button>'
                "</form>")
    if site.kind == "woocommerce":
        return (f'<a href="{href("?add-to-cart=" + number)}" data-quantity="1" '
                f'class="button product_type_simple add_to_cart_button ajax_add_to_cart" '
                f'data-product_id="{number}">{label}</a>')
    if site.kind == "magento":
        return (f'<form data-role="tocart-form" action="{href("/checkout/cart/add/product/" + number + "/")}"'
                f' method="post"><input type="hidden" name="product" value="{number}">'
                f'<button type="submit" title="{label}" class="action tocart primary">'
                f"<span>{label}</span></button></form>")
    return (f'<form action="{href("/basket.html")}" method="post"><input type="hidden" '
            f'name="item" value="{number}"><input type="text" name="qty" value="1" size="2">'
            f'<input type="submit" value="{label}"></form>')


def listing_item(site: Site, lang: str, product: Product, href) -> str:
    url = href(product_path(site, product))
    name, price = escape(product.name), escape(price_text(site, product))
    if site.kind == "woocommerce":
        return (f'<li class="product type-product"><a href="{url}" class="woocommerce-LoopProduct-'
                f'link"><h2 class="woocommerce-loop-product__title">{name}</h2><span class="price">'
                f'<span class="woocommerce-Price-amount amount">{price}</span></span></a>'
                f"{add_to_cart(site, lang, product, href)}</li>")
    if site.kind == "magento":
        return (f'<li class="item product product-item" itemscope itemtype="http://schema.org/Product">'
                f'<a class="product-item-link" href="{url}" itemprop="url"><span itemprop="name">'
                f'{name}</span></a><div itemprop="offers" itemscope itemtype="http://schema.org/Offer">'
                f'<span class="price" itemprop="price" content="{product.price:.2f}">{price}</span>'
                f'<meta itemprop="priceCurrency" content="{site.currency}"></div>'
                f"{add_to_cart(site, lang, product, href)}</li>")
    if site.kind == "shopify":
        return (f'<li class="grid__item"><div class="card"><a href="{url}" class="full-unstyled-link">'
                f'{name}</a><div class="price"><span class="price-item price-item--regular">{price}'
                "</span></div></div></li>")
    return f'<tr><td><a href="{url}">{name}</a></td><td>{price}</td></tr>'


def category_path(site: Site, lang: str, category: str) -> str:
    """The listing of one product type (`/collections/winterjacke`)."""
    name = slugify(category)
    return {"shopify": f"/collections/{name}", "woocommerce": f"/product-category/{name}/",
            "magento": f"/{slug('shop', lang)}/{name}.html", "handmade": f"/kategorie-{name}.html",
            "spa": f"/{slug('shop', lang)}/{name}"}[site.kind]


def categories(site: Site) -> list[str]:
    return list(dict.fromkeys(p.description for p in site.products))


def listing(site: Site, lang: str, page: int, href, category: str = "") -> tuple[str, int]:
    """The product grid of one listing page (all products, or one category) and the number
    of pages."""
    products = [p for p in site.products if not category or p.description == category]
    pages = max(1, -(-len(products) // PAGE_SIZE))
    chunk = products[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    items = "\n".join(listing_item(site, lang, p, href) for p in chunk)
    base = category_path(site, lang, category) if category else listing_path(site, lang)
    nav = []
    if page > 1:
        nav.append(f'<a rel="prev" href="{href(base + ("?page=%d" % (page - 1) if page > 2 else ""))}">'
                   f"{escape(word('previous', lang))}</a>")
    if page < pages:
        nav.append(f'<a rel="next" class="next page-numbers" href="{href(base + "?page=%d" % (page + 1))}">'
                   f"{escape(word('next', lang))}</a>")
    if site.kind == "handmade":
        grid = f"<table class=\"artikel\">{items}</table>"
    elif site.kind == "woocommerce":
        grid = f'<ul class="products columns-4">{items}</ul>'
    elif site.kind == "magento":
        grid = f'<ol class="products list items product-items">{items}</ol>'
    else:
        grid = f'<ul class="grid product-grid">{items}</ul>'
    menu = " ".join(f'<a href="{href(category_path(site, lang, c))}">{escape(c)}</a>'
                    for c in categories(site))
    return (f'<nav class="categories">{menu}</nav>\n{grid}\n'
            f'<nav class="pagination">{" ".join(nav)}</nav>'), pages


def image_path(product: Product) -> str:
    return f"/images/{product.handle}.gif"


def _availability(product: Product) -> str:
    return "https://schema.org/" + ("InStock" if product.in_stock else "OutOfStock")


def json_ld(site: Site, lang: str, product: Product, url: str) -> str:
    data = {
        "@context": "https://schema.org/", "@type": "Product", "name": product.name,
        "sku": product.sku, "gtin13": product.gtin, "url": url,
        "image": f"http://{site.hostname}{image_path(product)}",
        "brand": {"@type": "Brand", "name": product.brand},
        "offers": {"@type": "Offer", "price": f"{product.price:.2f}",
                   "priceCurrency": CURRENCY_CODES[site.currency],
                   "availability": _availability(product)},
    }
    crumbs = {
        "@context": "https://schema.org/", "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i + 1, "name": name, "item": f"http://{site.hostname}{path}"}
            for i, (name, path) in enumerate(breadcrumb(site, lang, product))
        ],
    }
    return "".join(f'<script type="application/ld+json">{json.dumps(d, ensure_ascii=False)}</script>'
                   for d in (data, crumbs))


def breadcrumb(site: Site, lang: str, product: Product) -> list[tuple[str, str]]:
    return [(word("home", lang), "/"), (word("shop", lang), listing_path(site, lang)),
            (product.description, category_path(site, lang, product.description)),
            (product.name, product_path(site, product))]


def breadcrumb_html(site: Site, lang: str, product: Product, href) -> str:
    links = [f'<a href="{href(path)}">{escape(name)}</a>' for name, path in breadcrumb(site, lang, product)[:-1]]
    return f'<nav class="breadcrumb">{" › ".join(links)} › <span>{escape(product.name)}</span></nav>'


def product_page(site: Site, lang: str, product: Product, href) -> str:
    url = f"http://{site.hostname}{product_path(site, product)}"
    name, price = escape(product.name), escape(price_text(site, product))
    stock = escape(word("in_stock", lang)) if product.in_stock else "–"
    image = f'<img src="{image_path(product)}" alt="{name}"'
    crumbs = breadcrumb_html(site, lang, product, href)
    order = add_to_cart(site, lang, product, href) if product.in_stock else ""
    if site.kind == "magento":
        return (f'{crumbs}<div class="product-info-main" itemscope itemtype="http://schema.org/Product">'
                f'<h1 class="page-title"><span itemprop="name">{name}</span></h1>'
                f'{image} itemprop="image"><meta itemprop="sku" content="{product.sku}">'
                f'<meta itemprop="gtin13" content="{product.gtin}">'
                f'<div itemprop="brand" itemscope itemtype="http://schema.org/Brand">'
                f'<span itemprop="name">{escape(product.brand)}</span></div>'
                f'<div itemprop="offers" itemscope itemtype="http://schema.org/Offer">'
                f'<span class="price" itemprop="price" content="{product.price:.2f}">{price}</span>'
                f'<meta itemprop="priceCurrency" content="{site.currency}">'
                f'<link itemprop="availability" href="{_availability(product)}">{stock}</div>'
                f'<p itemprop="description">{escape(product.description)}</p>{order}</div>')
    structured = json_ld(site, lang, product, url) if site.structured_data == "jsonld" else ""
    css = "product_title entry-title" if site.kind == "woocommerce" else "product__title"
    return (f'{structured}{crumbs}<div class="product"><h1 class="{css}">{name}</h1>{image}>'
            f'<p class="price">{price}</p><p>{stock} · {escape(product.brand)} · {escape(product.description)}</p>'
            f'<p class="ean">EAN {product.gtin}</p>{order}</div>')


def cart_page(site: Site, lang: str, href) -> str:
    return (f'<h1>{escape(word("cart", lang))}</h1><form action="{href(cart_path(site, lang))}" '
            f'method="post" class="cart"><table class="cart-items"></table>'
            f'<button type="submit" name="checkout">{escape(word("checkout", lang))}</button></form>')


# --- the JS-only shop -----------------------------------------------------------------------

def spa_shell(site: Site, lang: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(site.name)}</title>"
            '<script type="module" src="/static/app.js"></script></head>'
            f'<body><noscript>{escape(word("enable_js", lang))}</noscript>'
            '<div id="app"></div></body></html>')


def spa_api(site: Site, lang: str, nav: list[tuple[str, str]]) -> bytes:
    data = {
        "shop": site.name, "language": lang, "currency": site.currency,
        "labels": {k: word(k, lang) for k in ("add_to_cart", "cart", "products", "in_stock")},
        "nav": [{"href": href, "label": label} for href, label in nav],
        "products": [
            {"sku": p.sku, "name": p.name, "price": p.price, "price_text": price_text(site, p),
             "url": product_path(site, p), "brand": p.brand, "gtin": p.gtin,
             "in_stock": p.in_stock, "image": image_path(p)}
            for p in site.products
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


SPA_APP_JS = r"""// Storefront: renders the catalogue from /api/products.json (no server-side HTML).
const app = document.getElementById('app');
function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
fetch('/api/products.json').then(r => r.json()).then(data => {
  document.title = data.shop;
  const nav = el('nav', {class: 'menu'});
  for (const item of data.nav) nav.appendChild(el('a', {href: item.href}, item.label));
  nav.appendChild(el('a', {href: '/cart', class: 'cart-link'}, data.labels.cart));
  app.appendChild(nav);
  app.appendChild(el('h1', {}, data.shop));
  const path = location.pathname;
  const single = data.products.find(p => p.url === path);
  const list = el('ul', {class: 'products'});
  for (const p of (single ? [single] : data.products)) {
    const li = el('li', {class: 'product', 'data-sku': p.sku});
    li.appendChild(el('a', {href: p.url, class: 'product-name'}, p.name));
    li.appendChild(el('span', {class: 'price'}, p.price_text));
    li.appendChild(el('button', {class: 'add-to-cart', type: 'button', 'data-sku': p.sku},
                      data.labels.add_to_cart));
    list.appendChild(li);
  }
  app.appendChild(list);
});
"""
