"""Facts a website states about its owner: VAT and company ids (validated with python-stdnum),
phone numbers (phonenumbers, E.164), e-mail domains, postcodes, addresses and names.

Extraction reads the store's page rows (visible text, links, structured data). Imprint,
contact and about pages are read first and weigh most: the owner's legal details live there,
while other pages mention suppliers, partners and marketplaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from stdnum import luhn
from stdnum.br import cnpj
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.id import npwp

from ecomstat.urls import registered_domain
from ecomstat.register.legal_forms import tokens

MAX_TEXT = 200_000  # characters of a page scanned; imprint details are never that deep
LEGAL_CHUNK = 6_000  # characters of each legal page kept for name/address comparison

_LEGAL_PAGE = re.compile(
    r"impress|imprint|legal|mentions|aviso|note-legali|colofon|kontakt|contact|contatt|"
    r"contacto|kontak|about|ueber-uns|uber-uns|a-propos|quienes|chi-siamo|sobre|over-ons|o-nas|"
    r"tentang|privacy|datenschutz",
    re.I,
)
_VAT_PREFIXED = re.compile(
    r"\b(ATU|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
    r"[\s.\-:]{0,2}((?:[0-9A-Z][\s.\-]?){7,14})",
)
# national ids written after a keyword, without country prefix; the keyword starts a word
# (without \b every "area", "great", "uniform" began a match: a quarter of `register match`'s
# CPU went to those, and no id was found in them)
_KEYWORD_ID = re.compile(
    r"\b(?:p\.?\s?iva|partita iva|c\.?f\.|nif|cif|nip|regon|krs|btw|kvk|siren|siret|cnpj|npwp|"
    r"company (?:no|number|reg(?:istration)?(?:\s+no)?)|registered (?:no|number)|crn|"
    r"hrb|hra|firmenbuch(?:nummer)?|fn|rea|nib|ondernemingsnummer|numéro d'entreprise|uid|ust-?id\w*|"
    r"vat(?:\s+(?:no|number|reg(?:istration)?(?:\s+no)?))?|tva|iva|mwst)"
    r"[\s.:#º°-]{0,6}(?:(?:nr|no|n°|nº)\b\.?[\s:]*)?((?:[0-9A-Z][\s./\-]?){5,20})",
    re.I,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@((?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,})")
_POSTCODE = {
    "DE": r"\b\d{5}\b", "FR": r"\b\d{5}\b", "IT": r"\b\d{5}\b", "ES": r"\b\d{5}\b",
    "ID": r"\b\d{5}\b", "US": r"\b\d{5}(?:-\d{4})?\b", "FI": r"\b\d{5}\b", "SE": r"\b\d{3}\s?\d{2}\b",
    "AT": r"\b\d{4}\b", "BE": r"\b\d{4}\b", "CH": r"\b\d{4}\b", "DK": r"\b\d{4}\b", "LU": r"\b\d{4}\b",
    "NL": r"\b\d{4}\s?[A-Z]{2}\b", "PL": r"\b\d{2}-\d{3}\b", "PT": r"\b\d{4}-\d{3}\b",
    "BR": r"\b\d{5}-?\d{3}\b", "IE": r"\b[AC-FHKNPRTV-Y]\d[0-9W]\s?[0-9AC-FHKNPRTV-Y]{4}\b",
    "GB": r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", "CZ": r"\b\d{3}\s?\d{2}\b",
}


# where the postcode is written before the city ("10115 Berlin"): demanding a word after it
# keeps register numbers and prices out
_POSTCODE_BEFORE_CITY = {"DE", "FR", "IT", "ES", "AT", "BE", "CH", "DK", "LU", "NL", "PL", "PT",
                         "FI", "SE", "CZ"}


def _postcode_pattern(country: str) -> re.Pattern[str]:
    pattern = _POSTCODE.get(country, r"\b\d{4,5}\b")
    if country in _POSTCODE_BEFORE_CITY or country not in _POSTCODE:
        pattern += r"(?=[\s,]+[^\W\d_]{2})"
    return re.compile(pattern)


def normalise_postcode(value: str | None) -> str:
    return compact_id(value or "")


def compact_id(value: str) -> str:
    """Upper-case alphanumerics only: `DE 136.695.976` -> `DE136695976`."""
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


def id_keys(value: str) -> set[str]:
    """Comparison keys of an identifier: compact, and without a two-letter country prefix
    (`IT01234567890` and `01234567890` are the same Partita IVA)."""
    compact = compact_id(value)
    keys = {compact} if len(compact) >= 5 else set()
    if len(compact) > 7 and compact[:2].isalpha() and compact[2:3].isdigit():
        keys.add(compact[2:])
    if compact.startswith("ATU"):
        keys.add(compact[3:])
    return keys


def _valid_vat(prefix: str, body: str) -> str | None:
    """Longest valid VAT id from `prefix` + a prefix of `body` (text runs on after the id)."""
    digits = compact_id(body)
    for end in range(len(digits), 6, -1):
        candidate = prefix + digits[:end]
        try:
            if candidate.startswith(("GB", "XI")):
                if gb_vat.is_valid(candidate):
                    return prefix + gb_vat.compact(candidate)  # stdnum drops the GB prefix
            elif eu_vat.is_valid(candidate):
                return eu_vat.compact(candidate)
        except Exception:  # stdnum raises on exotic input; an invalid id is just no id
            continue
    return None


def _keyword_ids(text: str) -> Iterable[str]:
    """Ids written after a keyword (`P.IVA 0123...`, `REA: NA-657467`, `FN 578274i`): the
    capture is cut where the id ends (at the first word without a digit, after an optional
    short letter prefix), and the search resumes there, so `... REA: NA-657467` right after a
    VAT id is read too."""
    pos = 0
    while True:
        match = _KEYWORD_ID.search(text, pos)
        if match is None:
            return
        words = match.group(1).split()
        kept: list[str] = []
        for i, word in enumerate(words):
            if any(ch.isdigit() for ch in word) or (i == 0 and len(word) <= 3 and len(words) > 1):
                kept.append(word)
            else:
                break
        value = " ".join(kept).rstrip(",.;")
        if value:
            yield value
        pos = match.start(1) + max(len(value), 1)


_EU_VAT = {"BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT",
           "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
_OWN_VAT_PREFIXES = {"AT": ("ATU",), "GR": ("EL",), "GB": ("GB", "XI")}


def _national_id(raw: str, country: str) -> str | None:
    """A company/tax id written without country prefix, validated where a checker exists."""
    value = compact_id(raw)
    if len(value) < 5:
        return None
    for prefix in _OWN_VAT_PREFIXES.get(country, (country,) if country in _EU_VAT else ()):
        if value.startswith(prefix) and sum(ch.isdigit() for ch in value) >= 6:
            return _valid_vat(prefix, value[len(prefix):])  # the country's VAT id: valid or nothing
    try:
        if country == "BR" and cnpj.is_valid(value[:14]):
            return value[:14]
        if country == "ID" and npwp.is_valid(value[:15]):
            return value[:15]
        if country in {"IT", "DE", "FR", "ES", "PL", "PT", "NL", "BE", "AT"}:
            prefix = "ATU" if country == "AT" else country
            vat = _valid_vat(prefix, value)
            if vat:
                return vat
    except Exception:
        pass
    if country == "GB" and re.fullmatch(r"(?:\d{8}|[A-Z]{2}\d{6})", value[:8]):
        return value[:8]  # Companies House number: no check digit, keep when keyword-led
    if re.fullmatch(r"\d{5,12}", value):
        return value  # HRB / KvK / KRS / SIREN-like: keyword-led digits, unverifiable
    if len(value) <= 20 and sum(ch.isdigit() for ch in value) >= 5 and value[:2].isalpha():
        return value  # REA `NA657467`, Firmenbuch `FN578274I`: keyword-led, compared as written
    if value[:9].isdigit() and luhn.is_valid(value[:9]):
        return value[:9]
    return None


@dataclass
class SiteFacts:
    """What one website says about its owner, aggregated over its pages."""

    domain: str = ""
    site_id: int | None = None  # website.id in the store
    url: str = ""
    attached_enterprise_id: str | None = None  # enterprise the site was found for / linked to
    home_final_url: str = ""  # where the home page ended up after redirects
    parked: str | None = None  # why the home page looks like a parked domain, if it does
    names: list[str] = field(default_factory=list)  # org names, best first
    vat_ids: set[str] = field(default_factory=set)
    company_ids: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)  # E.164
    email_domains: set[str] = field(default_factory=set)
    postcodes: set[str] = field(default_factory=set)
    postcode_order: list[str] = field(default_factory=list)  # legal pages' postcodes as read
    legal_text: str = ""  # normalised text of imprint/contact/about pages (or the home page)
    evidence_urls: dict[str, str] = field(default_factory=dict)  # fact key -> page URL
    addresses: list[dict[str, str]] = field(default_factory=list)  # structured-data addresses
    address_snippets: list[str] = field(default_factory=list)  # text around postcodes, legal pages

    # derived comparison values, computed once per site by register.features.prepared()
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def id_keys(self) -> set[str]:
        if "id_keys" in self.derived:
            return self.derived["id_keys"]
        keys: set[str] = set()
        for value in self.vat_ids | self.company_ids:
            keys |= id_keys(value)
        return keys


def _walk_structured(data: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(data, Mapping):
        yield data
        for value in data.values():
            yield from _walk_structured(value)
    elif isinstance(data, list):
        for item in data:
            yield from _walk_structured(item)


_ORG_TYPES = ("organization", "localbusiness", "store", "restaurant", "corporation", "hotel",
              "onlinestore", "professionalservice", "foodestablishment")


def _types(node: Mapping[str, Any]) -> list[str]:
    raw = node.get("@type") or node.get("type") or []
    raw = raw if isinstance(raw, list) else [raw]
    return [str(t).rsplit("/", 1)[-1].lower() for t in raw]


def page_priority(url: str) -> int:
    """0 for imprint/contact/about-like pages, 1 for the home page, 2 for the rest."""
    path = url.split("://", 1)[-1].partition("/")[2]
    if _LEGAL_PAGE.search(path):
        return 0
    return 1 if path.strip("/") == "" else 2


def extract_site_facts(pages: Iterable[Mapping[str, Any]], country: str, domain: str = "") -> SiteFacts:
    """Facts from a site's pages (dicts with url, text, title, links, structured_data).

    Names, phones and postcodes are taken from legal pages (imprint, contact, about) and the
    home page only; ids are validated, so they are taken from any page.
    """
    country = (country or "").upper()
    facts = SiteFacts(domain=domain)
    ordered = sorted(pages, key=lambda p: page_priority(str(p.get("url") or "")))
    legal_chunks: list[str] = []
    postcode_re = _postcode_pattern(country)
    region = country if country in phonenumbers.SUPPORTED_REGIONS else None
    for page in ordered:
        url = str(page.get("url") or "")
        text = str(page.get("text") or "")[:MAX_TEXT]
        priority = page_priority(url)
        _id_facts(facts, text, url, country)
        _link_facts(facts, page, url, priority, region)
        _structured_facts(facts, page, url, region)
        if priority <= 1:
            _legal_page_facts(facts, page, text, url, priority, region, postcode_re, legal_chunks)
    facts.legal_text = " ".join(" ".join(tokens(chunk)) for chunk in legal_chunks[:4])
    facts.names = list(dict.fromkeys(facts.names))
    return facts


def _id_facts(facts: SiteFacts, text: str, url: str, country: str) -> None:
    """VAT ids, national company ids and e-mail domains in a page's text (any page)."""
    for match in _VAT_PREFIXED.finditer(text):
        vat = _valid_vat(match.group(1), match.group(2))
        if vat:
            facts.vat_ids.add(vat)
            facts.evidence_urls.setdefault("vat_id", url)
    for raw in _keyword_ids(text):
        value = _national_id(raw, country)
        if value and value not in facts.vat_ids:
            facts.company_ids.add(value)
            facts.evidence_urls.setdefault("company_id", url)
    for match in _EMAIL.finditer(text):
        facts.email_domains.add(registered_domain(match.group(1).lower()))


def _link_facts(facts: SiteFacts, page: Mapping[str, Any], url: str, priority: int,
                region: str | None) -> None:
    """mailto: domains (any page) and tel: numbers (legal and home pages)."""
    for link in page.get("links") or []:
        href = str(link.get("url") if isinstance(link, Mapping) else link)
        if href.startswith("mailto:") and "@" in href:
            facts.email_domains.add(registered_domain(href.split("@", 1)[1].split("?")[0].lower()))
        elif href.startswith("tel:") and priority <= 1:
            _add_phone(facts, href[4:], region, url)


def _structured_facts(facts: SiteFacts, page: Mapping[str, Any], url: str,
                      region: str | None) -> None:
    """Organisation names, phones and ids, postal addresses and site names in the page's
    structured data."""
    for node in _walk_structured(page.get("structured_data") or {}):
        if any(t in _ORG_TYPES for t in _types(node)):
            name = node.get("name") or node.get("legalName")
            if isinstance(name, str) and name.strip():
                facts.names.insert(0, name.strip())
            tel = node.get("telephone")
            if isinstance(tel, str):
                _add_phone(facts, tel, region, url)
            for key in ("vatID", "taxID"):
                if isinstance(node.get(key), str):
                    facts.company_ids.add(compact_id(node[key]))
        if "postaladdress" in _types(node):
            facts.addresses.append({k: str(node.get(k) or "") for k in
                                    ("streetAddress", "postalCode", "addressLocality")})
            if node.get("postalCode"):
                facts.postcodes.add(compact_id(str(node["postalCode"])))
                facts.postcode_order.insert(0, compact_id(str(node["postalCode"])))
                facts.evidence_urls.setdefault("postcode", url)
        if node.get("og:site_name"):
            facts.names.append(str(node["og:site_name"]))


def _legal_page_facts(facts: SiteFacts, page: Mapping[str, Any], text: str, url: str,
                      priority: int, region: str | None, postcode_re: re.Pattern[str],
                      legal_chunks: list[str]) -> None:
    """A legal page's (priority 0) or the home page's (1) title, phones, postcodes, address
    snippets, and text for the name and address comparisons (`legal_chunks`)."""
    title = str(page.get("title") or "").strip()
    if title:
        facts.names.append(title)
    if region:
        for match in phonenumbers.PhoneNumberMatcher(text[:20_000], region):
            _add_phone(facts, match.number, None, url)
    for match in postcode_re.finditer(text[:20_000]):
        facts.postcodes.add(compact_id(match.group(0)))
        facts.evidence_urls.setdefault("postcode", url)
        if priority == 0:
            facts.postcode_order.append(compact_id(match.group(0)))
        if priority == 0 and len(facts.address_snippets) < 5:
            start, end = max(0, match.start() - 60), min(len(text), match.end() + 30)
            facts.address_snippets.append(" ".join(text[start:end].split()))
    if priority == 0 or not legal_chunks:
        legal_chunks.append(text[:LEGAL_CHUNK])
        facts.evidence_urls.setdefault("address", url)
        facts.evidence_urls.setdefault("name", url)


def _add_phone(facts: SiteFacts, raw: Any, region: str | None, url: str) -> None:
    try:
        number = raw if isinstance(raw, phonenumbers.PhoneNumber) else phonenumbers.parse(str(raw), region)
    except phonenumbers.NumberParseException:
        return
    if phonenumbers.is_possible_number(number):
        facts.phones.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        facts.evidence_urls.setdefault("phone", url)


def normalise_phone(raw: str | None, country: str) -> str | None:
    """E.164 form of a register phone number, or None when it does not parse."""
    if not raw or not raw.strip():
        return None
    region = country.upper() if country and country.upper() in phonenumbers.SUPPORTED_REGIONS else None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
