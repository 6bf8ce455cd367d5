"""The sample web's data: register rows, site specifications, ground truth, the population."""

from __future__ import annotations

from dataclasses import dataclass, field

REGISTER_COLUMNS = (
    "id", "name", "legal_form", "address", "postcode", "city", "country", "region", "nace",
    "employees", "size_class", "vat_id", "company_id", "phone", "email", "url", "weight",
)
TRUTH_COLUMNS = (
    "id", "has_website", "true_url", "site_status", "web_sales", "marketplace", "social_media",
    "online_booking", "job_ads", "needs_js", "language", "platform", "true_name", "true_address",
    "true_postcode", "true_city", "true_phone", "true_vat_id", "contradicted_fields",
    "url_in_register", "discoverable",
)
AUDIT_COLUMNS = ("enterprise_id", "web_sales")

# Site kinds; each has its own markup. The first five sell online (web sales).
SHOP_KINDS = ("shopify", "woocommerce", "magento", "handmade", "spa")
SITE_KINDS = SHOP_KINDS + (
    "restaurant",  # menu + online ordering (web sales)
    "hotel",  # rooms + booking engine (web sales, online booking)
    "restaurant_menu",  # menu with prices, no ordering
    "service",  # contact form only
    "manufacturer",  # catalogue without prices or ordering
    "marketplace",  # sells only through a marketplace store it links to
    "parked",  # "this domain may be for sale"
)
WEB_SALES_KINDS = frozenset(SHOP_KINDS + ("restaurant", "hotel"))


@dataclass(frozen=True)
class RegisterRow:
    """One row of register.csv: what the statistical office believes (may be outdated)."""

    id: str
    name: str
    legal_form: str
    address: str
    postcode: str
    city: str
    country: str
    region: str
    nace: str
    employees: int
    size_class: str
    vat_id: str
    company_id: str
    phone: str
    email: str
    url: str
    weight: float

    def as_row(self) -> list[str]:
        return [str(getattr(self, column)) for column in REGISTER_COLUMNS]


@dataclass(frozen=True)
class Truth:
    """What is really so for one enterprise (one row of truth.csv)."""

    id: str
    has_website: bool
    true_url: str
    site_status: str  # live | dead | parked | redirect | none
    web_sales: bool
    marketplace: bool
    social_media: bool
    online_booking: bool
    job_ads: bool
    needs_js: bool
    language: str
    platform: str
    true_name: str
    true_address: str
    true_postcode: str
    true_city: str
    true_phone: str
    true_vat_id: str
    contradicted_fields: tuple[str, ...]
    url_in_register: bool
    discoverable: bool

    def as_row(self) -> list[str]:
        out = []
        for column in TRUTH_COLUMNS:
            value = getattr(self, column)
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, tuple):
                value = ";".join(value)
            out.append(str(value))
        return out


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    handle: str  # URL slug
    price: float  # local currency; 0 for catalogues without prices
    description: str  # the generic item name (`Winterjacke`): the product's category
    brand: str = ""
    gtin: str = ""  # EAN-13 with a valid check digit (shops only)
    in_stock: bool = True


@dataclass
class Site:
    """Everything needed to render one website; pages are generated from this on request."""

    hostname: str  # canonical host, e.g. www.mueller-baeckerei.de.test
    enterprise_id: str
    kind: str
    country: str
    language: str
    languages: tuple[str, ...]  # first is the root language; others live under /<lang>/
    currency: str
    name: str  # name with legal form, as the site prints it
    trade: str
    street_address: str = ""
    postcode: str = ""
    city: str = ""
    phone: str = ""  # printed form
    email: str = ""
    vat_id: str = ""  # printed form; empty when the imprint does not show it
    company_id: str = ""
    category: str = ""
    products: tuple[Product, ...] = ()
    social_profiles: tuple[str, ...] = ()
    share_buttons: bool = False
    marketplace_links: tuple[str, ...] = ()
    job_ads: int = 0  # open positions listed
    careers_page: bool = False
    robots: str = "default"  # default | disallow_all | private | crawl_delay
    trap: str = ""  # "" | calendar | session
    oversized: bool = False
    structured_data: str = "none"  # jsonld | microdata | none
    seed: int = 0  # per-site variety in rendering

    @property
    def root_url(self) -> str:
        return f"http://{self.hostname}/"


@dataclass
class Population:
    n: int
    seed: int
    register: list[RegisterRow]
    truth: list[Truth]
    sites: dict[str, Site]  # canonical hostname -> content site (incl. parked domains)
    redirects: dict[str, str]  # hostname -> absolute URL it answers 301 with
    dead_hosts: tuple[str, ...]  # hostnames named in the register that do not exist
    audit: list[tuple[str, bool]] = field(default_factory=list)

    def live_hostnames(self) -> list[str]:
        """Every hostname that answers: content sites, parked domains, redirect sources."""
        return sorted(set(self.sites) | set(self.redirects))

    def truth_by_id(self) -> dict[str, Truth]:
        return {row.id: row for row in self.truth}
