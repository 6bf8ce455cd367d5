"""`generate(n, seed)`: a seeded, reproducible population of enterprises and their websites.

Every random draw comes from a `random.Random` seeded with a string built from the seed and
the enterprise's position, so the same (n, seed) always gives the same bytes, and the first k
enterprises of a larger population are the same as those of a smaller one.
"""

from __future__ import annotations

import random

from stdnum import ean

from ecomstat.errors import BadInput
from ecomstat.sampleweb import catalog, identifiers, naming
from ecomstat.sampleweb.hostile import assign_hostile_features
from ecomstat.sampleweb.locales import COUNTRIES, TRADES, Country
from ecomstat.sampleweb.model import (
    SHOP_KINDS,
    WEB_SALES_KINDS,
    Population,
    Product,
    RegisterRow,
    Site,
    Truth,
)

MAX_N = 1_000_000
# section -> trades with weights; spread so every NACE section has enough units for breakdowns
_TRADE_WEIGHTS = {
    "fashion": 5, "shoes": 3, "electronics": 4, "books": 2, "cosmetics": 3, "toys": 2,
    "online": 6, "wholesale": 5, "bakery": 4, "metal": 4, "furniture": 3, "plastics": 2,
    "electrician": 4, "construction": 4, "plumbing": 3, "transport": 3, "logistics": 2,
    "hotel": 5, "restaurant": 7, "software": 5, "insurance": 2, "accounting": 4,
    "engineering": 3, "advertising": 3, "cleaning": 3, "travel": 3, "hairdresser": 3, "repair": 2,
}
_RETAIL = {"fashion", "shoes", "electronics", "books", "cosmetics", "toys"}
_SIZE_CLASSES = (("0-9", 1, 9, 0.08), ("10-49", 10, 49, 0.62), ("50-249", 50, 249, 0.22),
                 ("250+", 250, 5000, 0.08))
_WEIGHT_BY_SIZE = {"0-9": 10, "10-49": 4, "50-249": 2, "250+": 1}  # design weights of a sample
# GS1 company prefixes by country (first digits of an EAN-13), and invented brand names
_GS1_PREFIX = {"DE": "40", "AT": "90", "FR": "30", "ES": "84", "PT": "56", "BR": "78", "IT": "80",
               "NL": "87", "BE": "54", "PL": "59", "ID": "89", "IE": "53", "GB": "50"}
_BRANDS = ("Lumo", "Vera", "Kato", "Brio", "Solano", "Nexa", "Orbis", "Tiva", "Alvo", "Corra")
_MARKETPLACES = {
    "DE": ("amazon.de/shops/{h}", "ebay.de/str/{h}", "etsy.com/shop/{h}"),
    "AT": ("amazon.de/shops/{h}", "ebay.at/str/{h}"),
    "FR": ("amazon.fr/shops/{h}", "etsy.com/fr/shop/{h}", "ebay.fr/str/{h}"),
    "ES": ("amazon.es/shops/{h}", "ebay.es/str/{h}"),
    "PT": ("amazon.es/shops/{h}", "etsy.com/pt/shop/{h}"),
    "BR": ("mercadolivre.com.br/loja/{h}", "shopee.com.br/{h}", "amazon.com.br/shops/{h}"),
    "IT": ("amazon.it/shops/{h}", "ebay.it/str/{h}", "etsy.com/it/shop/{h}"),
    "NL": ("bol.com/nl/nl/w/{h}/", "amazon.nl/shops/{h}"),
    "BE": ("bol.com/be/nl/w/{h}/", "amazon.com.be/shops/{h}"),
    "PL": ("allegro.pl/uzytkownik/{h}", "amazon.pl/shops/{h}"),
    "ID": ("tokopedia.com/{h}", "shopee.co.id/{h}"),
    "IE": ("amazon.co.uk/shops/{h}", "ebay.ie/str/{h}", "etsy.com/ie/shop/{h}"),
    "GB": ("amazon.co.uk/shops/{h}", "ebay.co.uk/str/{h}", "etsy.com/uk/shop/{h}"),
}


def _choose(rng: random.Random, weighted: dict[str, float]) -> str:
    keys = list(weighted)
    return rng.choices(keys, weights=[weighted[k] for k in keys])[0]


def _site_kind(trade: str, size_index: int, rng: random.Random) -> str:
    """The kind of site a firm of this trade has (it has one)."""
    shop = rng.choices(SHOP_KINDS, weights=(25, 25, 10 + 5 * size_index, 20, 15))[0]
    if trade in _RETAIL:  # larger firms sell online more often (Eurostat: 22% small, 47% large)
        return _choose(rng, {shop: 0.5 + 0.2 * size_index, "marketplace": 0.15, "service": 0.3})
    b2b_shop = 0.1 + 0.15 * size_index  # manufacturers and wholesalers with a B2B shop
    table: dict[str, dict[str, float]] = {
        "online": {shop: 0.85, "marketplace": 0.15},
        "wholesale": {"manufacturer": 0.5, shop: 0.2 + b2b_shop, "service": 0.2},
        "bakery": {shop: 0.3, "manufacturer": 0.3, "service": 0.4},
        "metal": {"manufacturer": 0.8, "magento": b2b_shop, "service": 0.2},
        "plastics": {"manufacturer": 0.8, "woocommerce": b2b_shop, "service": 0.2},
        "furniture": {"manufacturer": 0.45, shop: 0.35 + b2b_shop, "marketplace": 0.2},
        "restaurant": {"restaurant": 0.5, "restaurant_menu": 0.5},
        "hotel": {"hotel": 0.8 + 0.05 * size_index, "service": 0.2},
        "software": {"service": 0.85, "woocommerce": 0.15 + 0.1 * size_index},
    }
    return _choose(rng, table.get(trade, {"service": 1.0}))


def _products(site_kind: str, trade: str, language: str, currency: str, size_index: int,
              rng: random.Random, country_code: str) -> tuple[str, tuple[Product, ...]]:
    category = catalog.category_for(trade, rng.randrange(100))
    if site_kind in ("service", "parked"):
        return "", ()
    items = catalog.item_names(category, language)
    low, high = catalog.price_range_eur(category)
    if site_kind in SHOP_KINDS:
        count = rng.randint(8, 20 + 15 * size_index)
    elif site_kind in ("restaurant", "restaurant_menu", "hotel"):
        count = len(items)
    else:
        count = rng.randint(5, 16)
    products, seen = [], set()
    for index in range(count):
        item = items[index % len(items)]
        name = item if index < len(items) and site_kind not in SHOP_KINDS else (
            f"{item} {rng.choice(catalog.VARIANTS)} {rng.randint(1, 9) * 10 + index % 10}")
        if name in seen:
            name = f"{name}-{index}"
        seen.add(name)
        eur = round(rng.uniform(low, high), 2)
        price = 0.0 if site_kind in ("manufacturer", "marketplace") else catalog.local_price(eur, currency)
        handle = naming.slugify(name)
        sku = f"{rng.randint(10000, 99999)}-{index}"
        if site_kind in SHOP_KINDS:
            body = f"{_GS1_PREFIX.get(country_code, '50')}{rng.randrange(10**10):010d}"
            products.append(Product(sku, name, handle, price, item, brand=rng.choice(_BRANDS),
                                    gtin=body + ean.calc_check_digit(body),
                                    in_stock=rng.random() < 0.9))
        else:
            products.append(Product(sku, name, handle, price, item))
    return category, tuple(products)


def _employees(rng: random.Random) -> tuple[int, str, int]:
    size_class, low, high, _ = rng.choices(_SIZE_CLASSES, weights=[s[3] for s in _SIZE_CLASSES])[0]
    employees = int(round(low * (high / low) ** rng.random()))
    index = [s[0] for s in _SIZE_CLASSES].index(size_class)
    return min(max(employees, low), high), size_class, max(index - 1, 0)


def _legal_form(country: Country, employees: int, rng: random.Random) -> str:
    fitting = [form for form, minimum in country.legal_forms if minimum <= employees]
    return rng.choice(fitting or [country.legal_forms[0][0]])


def _address(country: Country, rng: random.Random) -> str:
    street, number = rng.choice(country.streets), rng.randint(1, 180)
    return f"{number} {street}" if country.house_number_first else f"{street} {number}"


def _other(value, draw):
    """A fresh draw that differs from `value` (an outdated register fact)."""
    while True:
        candidate = draw()
        if candidate != value:
            return candidate


class _Builder:
    """Draws one enterprise after another, keeping registered domains unique."""

    def __init__(self, seed: int, js_share: float | None = None) -> None:
        self.seed = seed
        self.js_share = js_share
        self.websites = 0  # enterprises with a website drawn so far (for js_share)
        self.used_domains: set[str] = set()
        self.register: list[RegisterRow] = []
        self.truth: list[Truth] = []
        self.sites: dict[str, Site] = {}
        self.redirects: dict[str, str] = {}
        self.dead: list[str] = []

    def _unique_label(self, make, tld: str) -> str | None:
        for _ in range(6):
            label = make()
            if label and f"{label}.{tld}" not in self.used_domains:
                self.used_domains.add(f"{label}.{tld}")
                return label
        return None

    def _name_and_label(self, index, rng, country, city, trade, tld) -> tuple[str, str, str]:
        """(name without legal form, unique domain label, how the domain relates to the name)."""
        scheme = _choose(rng, {"name": 0.85, "email": 0.08, "opaque": 0.07})
        for _ in range(8):  # a new name when the domain is taken, as a real firm would
            base = naming.base_name(country, trade, rng)
            makers = {
                "name": lambda base=base: naming.derived_label(base, country, rng),
                "email": lambda base=base: naming.email_only_label(base, city.name, rng),
                "opaque": lambda base=base: naming.opaque_label(base, country, rng),
            }
            label = self._unique_label(makers[scheme], tld)
            if label:
                return base, label, scheme
        # crowded: the city makes the name (and its domain) distinct
        base = f"{naming.base_name(country, trade, rng)} {city.name}"
        label = self._unique_label(lambda: naming.derived_label(base, country, rng), tld)
        return base, label or f"{naming.slugify(base)}-{index}", "name"

    def add(self, index: int) -> None:
        """Draw enterprise number `index`: its register row, its website (if any), its truth."""
        rng = random.Random(f"sampleweb:{self.seed}:{index}")
        country = COUNTRIES[_choose(rng, {c: v.weight for c, v in COUNTRIES.items()})]
        city = rng.choice(country.cities)
        trade = _choose(rng, _TRADE_WEIGHTS)
        employees, size_class, size_index = _employees(rng)
        legal_form = _legal_form(country, employees, rng)
        tld = naming.pick_tld(country, rng)
        base, label, scheme = self._name_and_label(index, rng, country, city, trade, tld)
        name = naming.full_name(base, legal_form, country)
        vat = identifiers.vat_id(country.code, rng)
        phone = identifiers.phone(country.code, city.area_code, rng)
        true = {
            "name": name, "address": _address(country, rng),
            "postcode": identifiers.postcode(city.postcode, rng),
            "phone": identifiers.format_phone(phone, "e164"), "vat": vat,
        }
        www = rng.random() < 0.65
        hostname = naming.hostname_for(label, tld, www)
        domain = naming.bare(hostname)

        # Web presence: bigger firms more often have a site; some register URLs are stale.
        p_site = (0.55, 0.78, 0.9, 0.97)[[s[0] for s in _SIZE_CLASSES].index(size_class)]
        dead, parked = min(0.05, (1 - p_site) * 0.6), min(0.03, (1 - p_site) * 0.3)
        status = _choose(rng, {"live": p_site * 0.96, "redirect": p_site * 0.04, "dead": dead,
                               "parked": parked, "none": 1 - p_site - dead - parked})
        has_website = status in ("live", "redirect")
        kind = _site_kind(trade, size_index, rng) if has_website else status
        if has_website and self.js_share is not None:
            kind = self._js_kind(kind)

        # What the register knows: a URL (maybe the old or bare one), an e-mail, or neither.
        email_domain_shown = scheme == "email" or (scheme != "opaque" and rng.random() < 0.35)
        url_known = status in ("dead", "parked", "redirect") or (
            status == "live" and rng.random() < {"name": 0.55, "email": 0.4, "opaque": 0.7}[scheme])
        register_url = f"http://{hostname if rng.random() < 0.7 else domain}/" if url_known else ""
        if status == "redirect":  # the register knows the old domain; it redirects here
            old_label = self._unique_label(lambda: naming.derived_label(base, country, rng)
                                           + rng.choice(("-old", "-online", "24", "-shop")), tld)
            old_host = naming.hostname_for(old_label or f"old-{label}", tld, False)
            self.redirects[old_host] = f"http://{hostname}/"
            register_url = f"http://{old_host}/"
        email = ""
        if email_domain_shown and has_website:
            email = f"{rng.choice(('info', 'kontakt', 'office', 'sales', 'hello'))}@{domain}"
        elif rng.random() < 0.3:
            email = f"{naming.slugify(base).replace('-', '.')}@{rng.choice(country.webmail)}"
        company_id = identifiers.company_id(country.code, vat, rng, city.name)

        site = None
        if status in ("live", "redirect", "parked"):
            site = self._site(index, rng, country, trade, kind, size_index, hostname, name, true,
                              city.name, email or f"info@{domain}")
            site.phone = identifiers.format_phone(phone, "international")
            site.company_id = company_id
            self.sites[hostname] = site
            alias = domain if www else "www." + domain  # the other spelling answers 301
            self.redirects[alias] = f"http://{hostname}/"
        elif status == "dead":
            self.dead.append(hostname)
            register_url = f"http://{hostname}/"

        contradicted = self._contradictions(rng, site) if has_website else ()
        register_legal_form = legal_form
        if "legal_form" in contradicted:
            register_legal_form = rng.choice([f for f, _ in country.legal_forms if f != legal_form])
        register_vat = vat if rng.random() < 0.85 else ""
        if "vat_id" in contradicted:
            register_vat = _other(vat, lambda: identifiers.vat_id(country.code, rng))
        reg = RegisterRow(
            id=f"E{index + 1:06d}",
            name=naming.full_name(base, register_legal_form, country),
            legal_form=register_legal_form,
            address=_other(true["address"], lambda: _address(country, rng))
            if "address" in contradicted else true["address"],
            postcode=_other(true["postcode"], lambda: identifiers.postcode(city.postcode, rng))
            if "postcode" in contradicted else true["postcode"],
            city=city.name, country=country.code, region=city.region, nace=TRADES[trade][0],
            employees=employees, size_class=size_class, vat_id=register_vat, company_id=company_id,
            phone=self._register_phone(rng, country, city.area_code, phone, contradicted),
            email=email, url=register_url, weight=_WEIGHT_BY_SIZE[size_class],
        )
        self.register.append(reg)
        web = site if has_website else None
        web_kind = kind if has_website else ""
        self.truth.append(Truth(
            id=reg.id, has_website=has_website,
            true_url=f"http://{hostname}/" if has_website else "",
            site_status=status, web_sales=web_kind in WEB_SALES_KINDS,
            marketplace=bool(web and web.marketplace_links),
            social_media=bool(web and web.social_profiles),
            online_booking=web_kind == "hotel", job_ads=bool(web and web.job_ads > 0),
            needs_js=web_kind == "spa", language=web.language if web else "",
            platform=web_kind, true_name=name, true_address=true["address"],
            true_postcode=true["postcode"], true_city=city.name, true_phone=true["phone"],
            true_vat_id=vat, contradicted_fields=contradicted,
            url_in_register=bool(register_url),
            discoverable=has_website and (scheme == "name" or email_domain_shown),
        ))

    def _js_kind(self, kind: str) -> str:
        """With `js_share` set: the websites that are JavaScript-only shops, spread evenly (the
        k-th website is one when floor(k * share) steps up), so that a population of any size has
        its share of them, to within one; the others keep their kind, a drawn JS shop becoming a
        plain-HTML shop. No random draw: the rest of the population stays as it was."""
        share, k = self.js_share or 0.0, self.websites
        self.websites += 1
        if int((k + 1) * share) > int(k * share):
            return "spa"
        return "handmade" if kind == "spa" else kind

    def _register_phone(self, rng, country, area_code, phone, contradicted) -> str:
        if "phone" in contradicted:
            phone = _other(phone, lambda: identifiers.phone(country.code, area_code, rng))
        elif rng.random() < 0.15:
            return ""
        return identifiers.format_phone(phone, rng.choice(("e164", "national", "international")))

    def _contradictions(self, rng: random.Random, site: Site | None) -> tuple[str, ...]:
        if site is None or rng.random() >= 0.18:
            return ()
        fields = ["address", "postcode", "phone", "legal_form"] + (["vat_id"] if site.vat_id else [])
        picked = rng.sample(fields, k=1 if rng.random() < 0.7 else 2)
        return tuple(f for f in ("address", "postcode", "phone", "legal_form", "vat_id") if f in picked)

    def _site(self, index, rng, country, trade, kind, size_index, hostname, name, true, city,
              email) -> Site:
        language = country.language
        extra = country.extra_language if country.extra_language != language else "de"
        # JS-only shops stay monolingual: their one shell renders everything
        languages = (language, extra) if kind not in ("parked", "spa") and rng.random() < 0.2 else (language,)
        category, products = _products(kind, trade, language, country.currency, size_index, rng,
                                       country.code)
        handle = naming.slugify(naming.bare(hostname).split(".")[0]).replace("-", "")
        social = ()
        if kind != "parked" and rng.random() < 0.45 + 0.1 * size_index:
            options = [f"https://www.facebook.com/{handle}", f"https://www.instagram.com/{handle}/",
                       f"https://www.linkedin.com/company/{handle}", f"https://www.youtube.com/@{handle}"]
            social = tuple(rng.sample(options, k=rng.randint(1, 3)))
        marketplace = ()
        if kind == "marketplace" or (kind in SHOP_KINDS and rng.random() < 0.15):
            links = _MARKETPLACES[country.code]
            marketplace = tuple("https://www." + t.format(h=handle) for t in
                                rng.sample(links, k=rng.randint(1, min(2, len(links)))))
        jobs = 0
        careers = kind != "parked" and rng.random() < 0.3 + 0.15 * size_index
        if careers and rng.random() < 0.75:
            jobs = rng.randint(1, 4)
        structured = {"shopify": "jsonld", "woocommerce": "jsonld", "magento": "microdata"}.get(kind, "none")
        return Site(
            hostname=hostname, enterprise_id=f"E{index + 1:06d}", kind=kind, country=country.code,
            language=language, languages=languages, currency=country.currency, name=name,
            trade=trade, street_address=true["address"], postcode=true["postcode"], city=city,
            email=email,
            vat_id=identifiers.display_vat(country.code, true["vat"]) if rng.random() < 0.7 else "",
            company_id="", category=category, products=products, social_profiles=social,
            share_buttons=kind != "parked" and rng.random() < 0.2, marketplace_links=marketplace,
            job_ads=jobs, careers_page=careers, structured_data=structured,
            seed=rng.randrange(1 << 30),
        )


def generate(n: int = 200, seed: int = 0, js_share: float | None = None) -> Population:
    """A population of `n` enterprises with register rows, websites and ground truth.
    `js_share`: the share of websites that are JavaScript-only shops (benchmarks of rendering);
    None keeps the drawn ones (about 2%), and the population exactly as without the knob."""
    if not isinstance(n, int) or n < 1 or n > MAX_N:
        raise BadInput(f"n must be a whole number between 1 and {MAX_N}, got {n!r}")
    if not isinstance(seed, int):
        raise BadInput(f"seed must be a whole number, got {seed!r}")
    if js_share is not None and not (isinstance(js_share, (int, float)) and 0 <= js_share <= 1):
        raise BadInput(f"js_share must be a number between 0 and 1, got {js_share!r}")
    builder = _Builder(seed, js_share)
    for index in range(n):
        builder.add(index)
    population = Population(
        n=n, seed=seed, register=builder.register, truth=builder.truth, sites=builder.sites,
        redirects=builder.redirects, dead_hosts=tuple(builder.dead),
    )
    assign_hostile_features(population, random.Random(f"sampleweb:{seed}:hostile"))
    audit_rng = random.Random(f"sampleweb:{seed}:audit")
    population.audit = [(t.id, t.web_sales) for t in population.truth
                        if t.has_website and audit_rng.random() < 0.25]
    return population

