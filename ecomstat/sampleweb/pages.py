"""One site's pages, generated on request from its `Site` spec: routing, layout, page bodies.

The root language lives at `/`, other languages under `/<lang>/` (with hreflang links); shop,
menu, room and catalogue pages exist in the root language only, as on many small multilingual
sites. Hostile bits (robots rules, calendar and session-id traps, an oversized page) are here too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs

from ecomstat.sampleweb import hostile
from ecomstat.sampleweb import platforms as pf
from ecomstat.sampleweb.catalog import PAYMENTS, format_price
from ecomstat.sampleweb.model import SHOP_KINDS, Site
from ecomstat.sampleweb.naming import bare, trade_word
from ecomstat.sampleweb.vocab import slug, text, word

HTML = "text/html; charset=utf-8"
_PIXEL = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    location: str = ""


_STANDARD = ("imprint", "contact", "about", "privacy")
# Identifier labels are national, not linguistic (a Belgian site in Dutch has no KvK number).
_VAT_LABEL = {"AT": "UID-Nr.", "BR": "CNPJ", "ID": "NPWP", "BE": "BTW/TVA"}
_COMPANY_LABEL = {"AT": "Firmenbuchnummer", "BE": "Ondernemingsnummer", "BR": "CNPJ",
                  "ES": "CIF", "PT": "NIPC", "IE": "Company registration number (CRO)",
                  "GB": "Registered in England and Wales, company number", "FR": "SIREN",
                  "IT": "REA", "PL": "KRS", "ID": "NIB", "NL": "KvK-nummer", "DE": "Handelsregister"}
_KIND_PAGES = {
    "service": ("services",), "manufacturer": ("catalogue",), "marketplace": ("catalogue",),
    "restaurant": ("menu", "order"), "restaurant_menu": ("menu",), "hotel": ("rooms", "booking"),
}
_LABEL_OF_PAGE = {"services": "services", "catalogue": "catalogue", "menu": "menu",
                  "order": "order_online", "rooms": "rooms", "booking": "book_now"}


class SiteRenderer:
    """Renders one site; `respond(path, query)` is pure, so callers may cache its result."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.root_lang = site.languages[0]
        self.routes: dict[str, tuple[str, str, object]] = {}
        for lang in site.languages:
            self.routes[self.page_path("home", lang)] = ("home", lang, None)
            pages = _STANDARD + (("careers",) if site.careers_page else ())
            if lang == self.root_lang:
                pages += _KIND_PAGES.get(site.kind, ())
            for key in pages:
                self.routes[self.page_path(key, lang)] = (key, lang, None)
        if site.kind in SHOP_KINDS:
            self.routes[pf.listing_path(site, self.root_lang)] = ("listing", self.root_lang, None)
            self.routes[pf.cart_path(site, self.root_lang)] = ("cart", self.root_lang, None)
            for product in site.products:
                self.routes[pf.product_path(site, product)] = ("product", self.root_lang, product)
            for category in pf.categories(site):
                self.routes[pf.category_path(site, self.root_lang, category)] = ("listing", self.root_lang, category)

    # --- URLs ------------------------------------------------------------------------------
    def page_path(self, key: str, lang: str) -> str:
        prefix = "" if lang == self.root_lang else f"/{lang}"
        if key == "home":
            return prefix + "/"
        name = slug(key, lang)
        kind = self.site.kind
        if kind == "shopify":
            return f"{prefix}/policies/privacy-policy" if key == "privacy" else f"{prefix}/pages/{name}"
        style = {"woocommerce": 0, "magento": 2, "handmade": 1, "spa": 2}.get(kind, self.site.seed % 3)
        return prefix + (f"/{name}/", f"/{name}.html", f"/{name}")[style]

    def _href_factory(self, sid: str) -> Callable[[str], str]:
        if self.site.trap != "session":
            return escape
        def href(path: str) -> str:  # every link carries a fresh session id: an endless trap
            fresh = hashlib.sha1(f"{sid}|{path}".encode()).hexdigest()[:16]
            return escape(f"{path}{'&' if '?' in path else '?'}sid={fresh}")
        return href

    # --- dispatch --------------------------------------------------------------------------
    def respond(self, path: str, query: str) -> Response:
        site = self.site
        params = parse_qs(query)
        href = self._href_factory(params.get("sid", [""])[0])
        if path == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8", hostile.robots_txt(site).encode())
        if site.kind == "parked":
            return Response(200, HTML, hostile.parked_page(site).encode())
        if path.startswith("/images/"):  # every product photo is the same 1x1 GIF
            return Response(200, "image/gif", _PIXEL)
        if path.endswith(".css"):
            return Response(200, "text/css", b"body{font-family:sans-serif;margin:0 auto;max-width:70em}")
        if path == "/sitemap.xml":
            return Response(200, "application/xml", self.sitemap().encode())
        if site.kind == "spa":
            if path == "/static/app.js":
                return Response(200, "application/javascript", pf.SPA_APP_JS.encode())
            if path == "/api/products.json":
                nav = [(self.page_path(k, self.root_lang), word(k, self.root_lang)) for k in _STANDARD]
                return Response(200, "application/json", pf.spa_api(site, self.root_lang, nav))
            route = self.routes.get(path)
            if route and route[0] in ("home", "listing", "product", "cart") and route[1] == self.root_lang:
                return Response(200, HTML, pf.spa_shell(site, self.root_lang).encode())
        if site.oversized and path == "/downloads/price-list.html":
            return Response(200, HTML, hostile.oversized_page(site))
        if site.trap == "calendar" and path == f"/{slug('calendar', self.root_lang)}":
            month = params.get("month", ["2026-11"])[0]
            return self.page(*hostile.calendar_page(site, self.root_lang, month, href), self.root_lang, href)
        if path.startswith("/private/"):
            return self.page("Intranet", "<p>Intern.</p>", self.root_lang, href)
        route = self.routes.get(path)
        if route is None:
            return Response(404, HTML, b"<!DOCTYPE html><html><head><title>404 Not Found</title>"
                                       b"</head><body><h1>404 Not Found</h1></body></html>")
        key, lang, arg = route
        return self.page(*self.body(key, lang, arg, params, href), lang, href)

    def body(self, key: str, lang: str, arg: object, params: dict, href) -> tuple[str, str]:
        site = self.site
        if key == "home":
            return word("home", lang), self.home(lang, href)
        if key == "listing":
            page = _int(params.get("page", ["1"])[0])
            grid, _ = pf.listing(site, lang, page, href, category=str(arg or ""))
            title = str(arg or word("shop", lang))
            return title, f"<h1>{escape(title)}</h1>{grid}"
        if key == "product":
            return arg.name, pf.product_page(site, lang, arg, href)  # type: ignore[union-attr]
        if key == "cart":
            return word("cart", lang), pf.cart_page(site, lang, href)
        builders = {"imprint": self.imprint, "contact": self.contact, "about": self.about,
                    "privacy": self.privacy, "careers": self.careers, "services": self.services,
                    "catalogue": self.catalogue, "menu": self.menu, "order": self.order,
                    "rooms": self.rooms, "booking": self.booking}
        title_key = _LABEL_OF_PAGE.get(key, key)
        return word(title_key, lang), builders[key](lang, href)

    # --- layout ------------------------------------------------------------------------------
    def page(self, title: str, content: str, lang: str, href) -> Response:
        site = self.site
        alternates = "".join(
            f'<link rel="alternate" hreflang="{other}" href="http://{site.hostname}{self.page_path("home", other)}">'
            for other in site.languages) if len(site.languages) > 1 else ""
        nav_keys = (_KIND_PAGES.get(site.kind, ()) if lang == self.root_lang else ()) + ("about", "contact")
        nav = [f'<a href="{href(self.page_path("home", lang))}">{escape(word("home", lang))}</a>']
        if site.kind in SHOP_KINDS and lang == self.root_lang:
            nav.append(f'<a href="{href(pf.listing_path(site, lang))}">{escape(word("shop", lang))}</a>')
            nav.append(f'<a href="{href(pf.cart_path(site, lang))}" class="cart-link">{escape(word("cart", lang))}</a>')
        nav += [f'<a href="{href(self.page_path(k, lang))}">{escape(word(_LABEL_OF_PAGE.get(k, k), lang))}</a>'
                for k in nav_keys]
        switch = "".join(f' <a href="{href(self.page_path("home", other))}" hreflang="{other}">{other.upper()}</a>'
                         for other in site.languages if other != lang)
        html = (
            f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{escape(title)} – {escape(site.name)}</title>"
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{alternates}\n'
            f'{pf.head_assets(site)}</head>\n<body class="{pf.body_class(site)}">'
            f'<header><a class="logo" href="{href(self.page_path("home", lang))}">{escape(site.name)}</a>'
            f'<nav class="main-menu">{" ".join(nav)}</nav><div class="lang">{switch}</div></header>\n'
            f"<main>{content}</main>\n<footer>{self.footer(lang, href)}</footer></body></html>"
        )
        return Response(200, HTML, html.encode("utf-8"))

    def footer(self, lang: str, href) -> str:
        site = self.site
        keys = ["imprint", "privacy", "contact"] + (["careers"] if site.careers_page else [])
        links = [f'<a href="{href(self.page_path(k, lang))}">{escape(word(k, lang))}</a>' for k in keys]
        if site.robots == "private":
            links.append(f'<a href="{href("/private/intranet.html")}">Intranet</a>')
        if site.trap == "calendar":
            links.append(f'<a href="{href("/" + slug("calendar", self.root_lang) + "?month=2026-11")}">'
                         f'{escape(word("events", lang))}</a>')
        if site.oversized:
            links.append(f'<a href="{href("/downloads/price-list.html")}">Price list</a>')
        parts = [f'<div class="footer-links">{" | ".join(links)}</div>']
        if site.kind in SHOP_KINDS + ("restaurant",):
            methods = PAYMENTS[site.country][: 2 + site.seed % 3]
            parts.append(f'<div class="payment-methods">{escape(word("payment", lang))}: '
                         + " ".join(f'<span class="payment-icon">{escape(m)}</span>' for m in methods)
                         + "</div>")
        if site.social_profiles:
            icons = " ".join(f'<a href="{escape(u)}" rel="me" class="social">{_network(u)}</a>'
                             for u in site.social_profiles)
            parts.append(f'<div class="follow">{escape(word("follow_us", lang))}: {icons}</div>')
        if site.marketplace_links and site.kind != "marketplace":
            parts.append(self._store_links(lang))
        if site.share_buttons:
            target = f"http://{site.hostname}/"
            parts.append(
                f'<div class="share">{escape(word("share", lang))}: '
                f'<a href="https://www.facebook.com/sharer/sharer.php?u={target}">Facebook</a> '
                f'<a href="https://twitter.com/intent/tweet?url={target}">X</a> '
                f'<a href="https://www.linkedin.com/shareArticle?mini=true&amp;url={target}">LinkedIn</a></div>')
        parts.append(f"<p>© 2026 {escape(site.name)}</p>")
        return "\n".join(parts)

    def _store_links(self, lang: str) -> str:
        links = " ".join(f'<a href="{escape(u)}" class="marketplace-store">{_network(u)}</a>'
                         for u in self.site.marketplace_links)
        return f'<div class="stores">{escape(word("visit_store", lang))} {links}</div>'

    # --- page bodies -----------------------------------------------------------------------
    def home(self, lang: str, href) -> str:
        site = self.site
        intro = escape(text("intro", lang, name=site.name.rstrip("."), city=site.city))
        parts = [f"<h1>{escape(site.name)}</h1><p>{intro}</p>"]
        if site.kind in SHOP_KINDS:
            featured = "\n".join(pf.listing_item(site, lang, p, href) for p in site.products[:4])
            tag = "table" if site.kind == "handmade" else "ul"
            parts.append(f'<h2>{escape(word("products", lang))}</h2><{tag} class="featured">{featured}</{tag}>'
                         f'<p><a href="{href(pf.listing_path(site, lang))}">{escape(word("shop", lang))} →</a></p>')
        elif site.kind == "marketplace":
            parts.append(f"<p>{escape(text('marketplace_only', lang))}</p>{self._store_links(lang)}")
        elif lang == self.root_lang:
            for key in _KIND_PAGES.get(site.kind, ()):
                label = escape(word(_LABEL_OF_PAGE[key], lang))
                parts.append(f'<p><a class="cta" href="{href(self.page_path(key, lang))}">{label}</a></p>')
        return "\n".join(parts)

    def imprint(self, lang: str, href) -> str:
        s = self.site
        lines = [f"<strong>{escape(s.name)}</strong>", escape(s.street_address)]
        lines.append(escape(f"{s.city} {s.postcode}" if s.country in ("GB", "IE") else f"{s.postcode} {s.city}"))
        body = [f"<h1>{escape(word('imprint', lang))}</h1><p>{'<br>'.join(lines)}</p>",
                f"<p>{escape(word('phone', lang))}: {escape(s.phone)}<br>{escape(word('email', lang))}: "
                f'<a href="mailto:{escape(s.email)}">{escape(s.email)}</a></p>']
        if s.vat_id:
            label = _VAT_LABEL.get(s.country, word("vat", lang))
            body.append(f"<p>{escape(label)}: {escape(s.vat_id)}</p>")
        same = re.sub(r"\D", "", s.company_id) == re.sub(r"\D", "", s.vat_id)
        if s.company_id and not (same and s.vat_id):
            label = _COMPANY_LABEL.get(s.country, word("company_id", lang))
            body.append(f"<p>{escape(label)}: {escape(s.company_id)}</p>")
        return "\n".join(body)

    def contact(self, lang: str, href) -> str:
        s = self.site
        form = (f'<form class="contact-form" method="post" action="{href(self.page_path("contact", lang))}">'
                f'<label>{escape(word("name", lang))} <input name="name"></label>'
                f'<label>{escape(word("email", lang))} <input type="email" name="email"></label>'
                f'<label>{escape(word("message", lang))} <textarea name="message"></textarea></label>'
                f'<button type="submit">{escape(word("send", lang))}</button></form>')
        return (f"<h1>{escape(word('contact', lang))}</h1><p>{escape(text('contact_form', lang))}</p>"
                f"<address>{escape(s.street_address)}, {escape(s.postcode)} {escape(s.city)}<br>"
                f'{escape(word("phone", lang))}: <a href="tel:{escape(s.phone.replace(" ", ""))}">{escape(s.phone)}</a></address>'
                f"{form}")

    def about(self, lang: str, href) -> str:
        return f"<h1>{escape(word('about', lang))}</h1><p>{escape(text('about', lang))}</p>"

    def privacy(self, lang: str, href) -> str:
        return f"<h1>{escape(word('privacy', lang))}</h1><p>{escape(text('privacy', lang))}</p>"

    def careers(self, lang: str, href) -> str:
        s = self.site
        if not s.job_ads:
            return f"<h1>{escape(word('careers', lang))}</h1><p>{escape(word('no_jobs', lang))}</p>"
        title = f"{word('job_title', lang)} – {trade_word(s.trade, lang)} ({s.city})"
        jobs = "".join(
            f'<article class="job-posting"><h3>{escape(title)}</h3><p>Ref. {s.seed % 900 + 100}-{i + 1}</p>'
            f"<p>{escape(text('job', lang))}</p><a href=\"mailto:jobs@{escape(bare(s.hostname))}\">"
            f"{escape(word('apply', lang))}</a></article>" for i in range(s.job_ads))
        structured = ""
        if s.seed % 2:  # half the employers also publish schema.org JobPosting markup
            posting = {"@context": "https://schema.org/", "@type": "JobPosting", "title": title,
                       "datePosted": "2026-11-01", "employmentType": "FULL_TIME",
                       "hiringOrganization": {"@type": "Organization", "name": s.name},
                       "jobLocation": {"@type": "Place", "address": {
                           "@type": "PostalAddress", "addressLocality": s.city,
                           "postalCode": s.postcode, "addressCountry": s.country}}}
            structured = f'<script type="application/ld+json">{json.dumps(posting, ensure_ascii=False)}</script>'
        return (f"{structured}<h1>{escape(word('careers', lang))}</h1>"
                f"<h2>{escape(word('open_positions', lang))}</h2>{jobs}")

    def services(self, lang: str, href) -> str:
        return (f"<h1>{escape(word('services', lang))}</h1><ul><li>{escape(trade_word(self.site.trade, lang))}</li>"
                f"</ul><p>{escape(text('about', lang))}</p>"
                f'<p><a href="{href(self.page_path("contact", lang))}">{escape(word("contact", lang))}</a></p>')

    def catalogue(self, lang: str, href) -> str:
        s = self.site
        items = "".join(f'<li class="catalogue-item"><h3>{escape(p.name)}</h3><p>{escape(p.description)} – '
                        f"{escape(word('price_on_request', lang))}</p></li>" for p in s.products)
        extra = (f"<p>{escape(text('marketplace_only', lang))}</p>{self._store_links(lang)}"
                 if s.kind == "marketplace" else
                 f"<p>{escape(text('manufacturer', lang))}</p>"
                 f'<p><a href="{href(self.page_path("contact", lang))}">{escape(word("request_quote", lang))}</a></p>')
        return f"<h1>{escape(word('catalogue', lang))}</h1><ul>{items}</ul>{extra}"

    def _priced_list(self, css: str) -> str:
        s = self.site
        return "".join(f'<li class="{css}"><span class="name">{escape(p.name)}</span> '
                       f'<span class="price">{escape(format_price(p.price, s.currency, s.country))}</span></li>'
                       for p in s.products)

    def menu(self, lang: str, href) -> str:
        order = (f'<p><a class="cta" href="{href(self.page_path("order", lang))}">{escape(word("order_online", lang))}</a></p>'
                 if self.site.kind == "restaurant" else "")
        return f"<h1>{escape(word('menu', lang))}</h1><ul class=\"menu\">{self._priced_list('dish')}</ul>{order}"

    def order(self, lang: str, href) -> str:
        s = self.site
        rows = "".join(
            f'<li class="dish">{escape(p.name)} <span class="price">{escape(format_price(p.price, s.currency, s.country))}</span>'
            f' <input type="number" name="qty-{p.sku}" value="0" min="0">'
            f' <button type="submit" name="add" value="{p.sku}" class="add-to-cart">{escape(word("add_to_cart", lang))}</button></li>'
            for p in s.products)
        return (f"<h1>{escape(word('order_online', lang))}</h1>"
                f'<form class="online-order" method="post" action="{href(self.page_path("order", lang))}">'
                f"<ul>{rows}</ul><button type=\"submit\" name=\"checkout\">{escape(word('place_order', lang))}</button></form>")

    def rooms(self, lang: str, href) -> str:
        per_night = escape(word("per_night", lang))
        return (f"<h1>{escape(word('rooms', lang))}</h1><ul class=\"rooms\">{self._priced_list('room')}</ul>"
                f"<p>{per_night}</p><p><a class=\"cta\" href=\"{href(self.page_path('booking', lang))}\">"
                f"{escape(word('book_now', lang))}</a></p>")

    def booking(self, lang: str, href) -> str:
        options = "".join(f'<option value="{p.sku}">{escape(p.name)}</option>' for p in self.site.products)
        return (f"<h1>{escape(word('book_now', lang))}</h1>"
                f'<form class="booking-form" id="booking-engine" method="post" action="{href(self.page_path("booking", lang))}">'
                f'<label>{escape(word("check_in", lang))} <input type="date" name="checkin"></label>'
                f'<label>{escape(word("check_out", lang))} <input type="date" name="checkout"></label>'
                f'<label>{escape(word("guests", lang))} <input type="number" name="guests" value="2"></label>'
                f'<select name="room">{options}</select>'
                f'<button type="submit" class="book-now">{escape(word("book_now", lang))}</button></form>')

    # --- special resources ----------------------------------------------------------------
    def sitemap(self) -> str:
        urls = "".join(f"<url><loc>http://{escape(self.site.hostname)}{escape(p)}</loc></url>"
                       for p in sorted(self.routes))
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'

def _network(url: str) -> str:
    host = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
    return host.split(".")[0].capitalize() if host else url


def _int(value: str) -> int:
    return int(value) if value.isdigit() and 0 < int(value) < 10_000 else 1
