"""Comparison features of an (enterprise, website) pair, each in [-1, 1].

+1 is strong agreement, -1 disagreement, 0 "nothing to compare" (a side lacks the field), so a
register without phone numbers or a site without an imprint is neither rewarded nor punished.
The same features compare two plain records (Fodors-Zagats restaurants), where the "site" is a
second record, which is how the scorer is fitted and evaluated on real gold pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from ecomstat.urls import TEST_TLD, public_suffix, registered_domain
from ecomstat.register.extract import SiteFacts, compact_id, id_keys, normalise_phone
from ecomstat.register.legal_forms import spellings, split_legal_form, tokens

FEATURES = (
    "name", "name_in_text", "domain_name", "address", "postcode", "city",
    "phone", "vat_id", "company_id", "email_domain",
)

_STREET_WORDS = {
    "strasse": "str", "str": "str", "street": "st", "st": "st", "avenue": "ave", "ave": "ave",
    "road": "rd", "rd": "rd", "boulevard": "blvd", "blvd": "blvd", "drive": "dr", "dr": "dr",
    "lane": "ln", "place": "pl", "platz": "pl", "square": "sq", "north": "n", "south": "s",
    "east": "e", "west": "w", "n": "n", "s": "s", "e": "e", "w": "w", "calle": "c", "c": "c",
    "avenida": "av", "av": "av", "rua": "r", "r": "r", "ulica": "ul", "ul": "ul", "jalan": "jl",
    "jl": "jl", "via": "v", "viale": "vle", "rue": "rue",
}


def normalise_street(text: str | None) -> str:
    """ASCII tokens with street words abbreviated (`Hauptstraße 12` -> `hauptstr 12`)."""
    out = []
    for tok in tokens(text or ""):
        if tok.endswith("strasse") and tok != "strasse":
            tok = tok[: -len("strasse")] + "str"
        out.append(_STREET_WORDS.get(tok, tok))
    return " ".join(out)


@dataclass
class RegisterRecord:
    """The register side of a pair, normalised once."""

    id: str
    name: str
    country: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    vat_id: str = ""
    company_id: str = ""
    phone: str = ""  # raw; normalised in __post_init__
    email: str = ""
    legal_form: str = ""
    name_cores: list[str] = field(default_factory=list, init=False)
    phone_e164: str | None = field(default=None, init=False)
    street: str = field(default="", init=False)
    vat_keys: set[str] = field(default_factory=set, init=False)
    company_keys: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.name_cores = list(dict.fromkeys(
            " ".join(split_legal_form(s, self.country)[0]) for s in spellings(self.name)))
        self.phone_e164 = normalise_phone(self.phone, self.country) or (
            "".join(ch for ch in self.phone if ch.isdigit())[-10:] or None)
        self.street = normalise_street(self.address)
        self.vat_keys = id_keys(self.vat_id) if self.vat_id else set()
        self.company_keys = id_keys(self.company_id) if self.company_id else set()

    @property
    def email_domain(self) -> str:
        return registered_domain(self.email.rsplit("@", 1)[1]) if "@" in self.email else ""


def _signed(similarity: float) -> float:
    """A 0..100 similarity as -1..1."""
    return similarity / 50.0 - 1.0


@lru_cache(maxsize=1)
def _known_suffixes() -> frozenset[str]:
    from ecomstat.register.country_domains import suffix_table

    return frozenset(s for suffixes in suffix_table().values() for s in suffixes) | {
        "com", "net", "org", "eu", "info", "biz", "shop", "online", "store"}


def _domain_label(domain: str) -> str:
    """`mueller-baeckerei.de.test` -> `muellerbaeckerei` (the registered label, no hyphens)."""
    host = domain[: -len(TEST_TLD) - 1] if domain.endswith("." + TEST_TLD) else domain
    parts = host.split(".")
    if len(parts) == 2 and parts[1] in _known_suffixes():
        return parts[0].replace("-", "")  # fast path: a registered domain under a known suffix
    if len(parts) == 3 and f"{parts[1]}.{parts[2]}" in _known_suffixes():
        return parts[0].replace("-", "")
    suffix = public_suffix(host)
    label = host[: -len(suffix) - 1] if suffix and host.endswith("." + suffix) else host
    return label.rsplit(".", 1)[-1].replace("-", "")


def _strip_test(domain: str) -> str:
    return domain[: -len(TEST_TLD) - 1] if domain.endswith("." + TEST_TLD) else domain


def prepared(site: SiteFacts) -> dict:
    """Per-site values every pair needs, computed once (a site is compared with several
    enterprises): normalised names, domain label, street-normalised text, id keys."""
    d = site.derived
    if not d:
        d["names"] = [n for n in (" ".join(tokens(n)) for n in site.names[:6]) if n]
        d["label"] = _domain_label(site.domain) if site.domain else ""
        d["streets"] = [s for s in (normalise_street(a.get("streetAddress")) for a in site.addresses) if s]
        d["street_text"] = normalise_street(site.legal_text) if site.legal_text else ""
        d["own_domains"] = {_strip_test(site.domain)} | {_strip_test(x) for x in site.email_domains}
        d["id_keys"] = site.id_keys()
    return d


def pair_features(rec: RegisterRecord, site: SiteFacts, webmail: frozenset[str] | set[str] = frozenset()) -> list[float]:
    """The FEATURES vector for one (register record, site) pair."""
    d = prepared(site)
    names = d["names"]
    name = max((fuzz.token_set_ratio(core, n) for core in rec.name_cores for n in names), default=None)
    text = site.legal_text
    name_in_text = max((fuzz.partial_ratio(core, text) for core in rec.name_cores if core), default=None) if text else None
    label = d["label"]
    domain_name = max((fuzz.ratio(core.replace(" ", ""), label) for core in rec.name_cores), default=None) if label else None

    address = None
    if rec.street and (text or site.addresses):
        scores = [fuzz.token_set_ratio(rec.street, s) for s in d["streets"]]
        street_text = d["street_text"]
        if street_text:
            scores.append(fuzz.partial_ratio(rec.street, street_text) if len(rec.street) <= len(street_text) else 0)
        address = max(scores) if scores else None

    postcode = 0.0
    if rec.postcode and site.postcodes:
        postcode = 1.0 if compact_id(rec.postcode) in site.postcodes else -1.0
    city = 0.0
    if rec.city and text:
        city = _signed(fuzz.partial_ratio(" ".join(tokens(rec.city)), text))

    phone = 0.0
    if rec.phone_e164 and site.phones:
        phone = 1.0 if rec.phone_e164 in site.phones else -1.0

    vat = 0.0
    if rec.vat_id and site.vat_ids:
        vat = 1.0 if rec.vat_keys & d["id_keys"] else -1.0
    company = 0.0
    if rec.company_id and (site.company_ids or site.vat_ids):
        if rec.company_keys & d["id_keys"]:
            company = 1.0
        elif site.company_ids:  # a VAT id alone says nothing about the company number
            company = -0.5

    email = 0.0
    reg_domain = _strip_test(rec.email_domain)
    if reg_domain and reg_domain not in webmail:
        email = 1.0 if reg_domain in d["own_domains"] else 0.0

    return [
        _signed(name) if name is not None else 0.0,
        _signed(name_in_text) if name_in_text is not None else 0.0,
        _signed(domain_name) if domain_name is not None else 0.0,
        _signed(address) if address is not None else 0.0,
        postcode, city, phone, vat, company, email,
    ]
