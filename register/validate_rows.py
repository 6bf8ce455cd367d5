"""Validate and normalise one register row, cheaply enough for a million rows.

`RowValidator` is built once per file from the header (and the mapping); calling it on a raw CSV
row returns the enterprise record ready for the store, the website root/domain derived from the
URL, and the problems found (column, message). Lookups are precomputed dicts and sets, so a row
costs a few microseconds.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

import tldextract

from ecomstat.numbers import EMPLOYEES, Bounds
from ecomstat.urls import TEST_TLD, canonicalize_url, site_root
from ecomstat.register.countries import NON_ISO_HINTS, country_names
from ecomstat.register.mapping import CANONICAL_COLUMNS, ColumnMapping
from ecomstat.register.nace import nace_spellings
from ecomstat.store.models import Enterprise

REQUIRED = ("id", "name", "country", "nace")
# A design weight is how many register units a unit stands for: positive, finite, and no
# register holds a billion enterprises (the bound also keeps sums of weights finite).
WEIGHT = Bounds(0, 1_000_000_000, low_open=True, words="a positive number up to 1,000,000,000")
SIZE_CLASSES = ("0-9", "10-49", "50-249", "250+")
# Ways registers write the size classes; anything else needs a value map in the mapping file.
_SIZE_SPELLINGS = {s: s for s in SIZE_CLASSES} | {
    "0–9": "0-9", "10–49": "10-49", "50–249": "50-249", "250 +": "250+", ">=250": "250+",
    "250 and more": "250+", "250 or more": "250+",
}
# Register-supplied URLs: optional http(s) scheme, a host, optional port, anything after.
_URL = re.compile(r"^(?:(https?)://)?([^\s/?#:@\\]+)(?::(\d{1,5}))?(?:[/?#]\S*)?$", re.IGNORECASE)
_ASCII_HOST = re.compile(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
_IDN_HOST = re.compile(r"^(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W_](?:[\w-]*[^\W_])?$")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# Deliberately loose (local@host.tld, no spaces): registers hold odd but deliverable addresses.
_EMAIL = re.compile(r"^[^@\s<>,;:\"]+@[^@\s<>,;:\".]+(?:\.[^@\s<>,;:\".]+)+$")
# Checked against code lists rather than by length.
_CODED = {"country", "nace", "size_class"}
# The columns whose length limit (store/models.py) the fast path checks one by one.
_FAST_LIMITED = ("id", "legal_form", "postcode", "city", "region", "vat_id", "company_id",
                 "phone", "email")
# The record `RowValidator` returns, as a tuple in this order (what the importer writes).
RECORD_COLUMNS: tuple[str, ...] = (
    "id", "name", "legal_form", "address", "postcode", "city", "country", "region", "nace",
    "nace_section", "employees", "size_class", "vat_id", "company_id", "phone", "email", "url",
    "weight",
)
# A record dict (what `RowValidator.__call__` returns) as a RECORD_COLUMNS tuple.
record_tuple = operator.itemgetter(*RECORD_COLUMNS)
# The common register URL: lower-case http(s) (or no scheme), a lower-case ASCII host with a
# dot, no port. Anything else takes `website_of`.
_PLAIN_URL = re.compile(
    r"(?:(https?)://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:[/?#]\S*)?"
)

# Same public-suffix snapshot and options as ecomstat.urls (never fetched); called on a host we
# have already parsed, which skips the URL parsing that makes `registered_domain` cost ~16 us.
_suffixes = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _leaf_tlds() -> frozenset[str]:
    """Top-level suffixes with no deeper public-suffix rule (`de`, `com`; not `uk`, `jp`, `ck`):
    under them the registered domain is simply the last two labels."""
    rules = _suffixes.tlds
    parents = {rule.lstrip("!*.").split(".", 1)[1] for rule in rules if "." in rule.lstrip("!*.")}
    parents |= {rule.split(".", 1)[1] for rule in rules if rule.startswith(("*.", "!"))}
    return frozenset(rule for rule in rules if "." not in rule and rule not in parents)


_LEAF_TLDS = _leaf_tlds()


def _registered_domain(host: str) -> str:
    """`ecomstat.urls.registered_domain` for a lower-case ASCII or punycode host (tests hold
    them equal); most hosts take the leaf-TLD shortcut instead of tldextract's ~5 us."""
    wrapped = host.endswith("." + TEST_TLD)
    inner = host[: -len(TEST_TLD) - 1] if wrapped else host
    rest, _, tld = inner.rpartition(".")
    if rest and tld in _LEAF_TLDS:
        domain = f"{rest.rpartition('.')[2]}.{tld}"
        return f"{domain}.{TEST_TLD}" if wrapped else domain
    parts = _suffixes.extract_str(inner)
    domain = f"{parts.domain}.{parts.suffix}" if parts.suffix and parts.domain else inner
    return f"{domain}.{TEST_TLD}" if wrapped else domain


def size_class_of(employees: int) -> str:
    if employees < 10:
        return "0-9"
    if employees < 50:
        return "10-49"
    if employees < 250:
        return "50-249"
    return "250+"


def _max_lengths() -> dict[str, int]:
    lengths = {}
    for name in CANONICAL_COLUMNS:
        length = getattr(Enterprise.__table__.c[name].type, "length", None)
        if length:
            lengths[name] = length
    return lengths


# What `RowValidator.fast` returns for a row it accepts: the record tuple (RECORD_COLUMNS) and the
# website's (site root, registered domain), or None for a row without URL.
RowResult = tuple[tuple[Any, ...], tuple[str, str] | None]


@dataclass(frozen=True)
class Website:
    url: str  # canonical site root, e.g. https://www.example.com/
    domain: str  # registered domain


def website_of(value: str) -> Website | None:
    """The site root and registered domain of a register URL, or None when it is not a web
    address. ASCII hosts (nearly all) take a fast path equal to `site_root(canonicalize_url())`;
    internationalised hosts go through w3lib's canonicalisation."""
    match = _URL.match(value)
    if match is None:
        return None
    scheme, host, port = match.groups()
    scheme = (scheme or "http").lower()
    host = host.lower().rstrip(".")
    if port is not None and not 0 < int(port) < 65536:
        return None
    if _ASCII_HOST.match(host):
        netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
        return Website(f"{scheme}://{netloc}/", _registered_domain(host))
    elif not host.isascii() and _IDN_HOST.match(host):
        try:
            root = site_root(canonicalize_url(f"{scheme}://{host}" + (f":{port}" if port else "")))
        except ValueError:  # IDNA refuses the label
            return None
    else:
        return None
    return Website(root, _registered_domain(root.split("://", 1)[1].split("/", 1)[0].split(":")[0]))


def _fast_size(employees_text: str, size_text: str, max_employees: int
               ) -> tuple[int | None, str] | None:
    """The fast path's (employees, size class) of a row, or None to decline it."""
    if employees_text:
        if not (employees_text.isascii() and employees_text.isdigit()):
            return None  # signs, decimals, odd digits: the full validator decides
        count = int(employees_text)
        if count > max_employees:
            return None
        derived = ("0-9" if count < 10 else "10-49" if count < 50
                   else "50-249" if count < 250 else "250+")
        if size_text and _SIZE_SPELLINGS.get(size_text) != derived:
            return None
        return count, derived
    size_class = _SIZE_SPELLINGS.get(size_text) if size_text else None
    return None if size_class is None else (None, size_class)


def _fast_website(url: str) -> tuple[str, str] | None:
    """The fast path's (site root, registered domain) of a plain URL, or None to decline it."""
    match = _PLAIN_URL.fullmatch(url)
    if match is None:
        return None
    scheme, host = match.groups()
    rest, _, tld = host.rpartition(".")
    if tld not in _LEAF_TLDS:
        return None  # deeper public suffixes and .test hosts: the full path
    return f"{scheme or 'http'}://{host}/", f"{rest.rpartition('.')[2]}.{tld}"


class RowValidator:
    """Validates raw rows of one file. `index` maps canonical column -> position in the row."""

    def __init__(self, index: dict[str, int], mapping: ColumnMapping) -> None:
        self.index = index
        # Position of every canonical column in the raw row; -1 (absent) reads the "" that
        # `_values` appends to the row.
        self._pick = operator.itemgetter(*(index.get(name, -1) for name in CANONICAL_COLUMNS))
        self._fixups = [
            (i, mapping.defaults.get(name, ""), mapping.values.get(name))
            for i, name in enumerate(CANONICAL_COLUMNS)
            if name in mapping.defaults or name in mapping.values
        ]
        self._nace = nace_spellings()
        self._countries = frozenset(country_names())
        # country, nace and size_class are checked against code lists, not by length
        self._lengths = [
            (CANONICAL_COLUMNS.index(n), n, m) for n, m in _max_lengths().items() if n not in _CODED
        ]
        self._limited = operator.itemgetter(*(p for p, _, _ in self._lengths))
        self._limits = tuple(m for _, _, m in self._lengths)

        self.fast = self._fast_path(mapping)

    def _fast_path(self, mapping: ColumnMapping) -> Callable[[list[str]], RowResult | None]:
        """A validator for the common row: every check is a precomputed set/dict lookup, a
        precompiled regex or a builtin conversion, inline in one function. It returns
        (record tuple in RECORD_COLUMNS order, (site root, registered domain) or None) for a
        row it can vouch for, else None: the caller then runs the full validator, which
        decides and words the problems. So the fast path may decline any row but must never
        accept one the full validator rejects, nor build a different record (tests hold the
        two equal)."""
        pick = self._pick
        fixups = self._fixups
        pad = not set(CANONICAL_COLUMNS) <= set(self.index)  # an absent column reads the pad
        strip = str.strip
        # Length limits as plain comparisons (a third of the cost of the generic check);
        # limits on any other column (a model change) go through the generic check.
        limit = dict(_max_lengths())
        (id_max, form_max, postcode_max, city_max, region_max, vat_max, company_max,
         phone_max, email_max) = (limit.pop(n, 1 << 62) for n in _FAST_LIMITED)
        others = [(CANONICAL_COLUMNS.index(n), m) for n, m in limit.items() if n not in _CODED]
        other_limited = operator.itemgetter(*(p for p, _ in others), 0) if others else None
        other_limits = (*(m for _, m in others), 1 << 62)
        gt = operator.gt
        countries = {c: c for c in self._countries} | {c.lower(): c for c in self._countries}
        nace_of = {spelling: (c.code, c.section) for spelling, c in self._nace.items()}
        email_ok = _EMAIL.match
        isfinite = math.isfinite
        max_employees = EMPLOYEES.high
        max_weight = WEIGHT.high
        fast_size, fast_website = _fast_size, _fast_website

        def fast(raw: list[str]) -> RowResult | None:
            if pad:
                raw.append("")
            values = list(map(strip, pick(raw)))
            for i, default, value_map in fixups:
                value = values[i] or default
                values[i] = value_map.get(value, value) if value_map is not None else value
            (ident, name, legal_form, address, postcode, city, country, region, nace,
             employees_text, size_text, vat_id, company_id, phone, email, url,
             weight_text) = values
            if (not ident or not name or len(ident) > id_max or len(legal_form) > form_max
                    or len(postcode) > postcode_max or len(city) > city_max
                    or len(region) > region_max or len(vat_id) > vat_max
                    or len(company_id) > company_max or len(phone) > phone_max
                    or len(email) > email_max):
                return None
            if other_limited is not None and any(
                map(gt, map(len, other_limited(values)), other_limits)
            ):
                return None
            country = countries.get(country)
            nace_code = nace_of.get(nace)
            if country is None or nace_code is None:
                return None
            sized = fast_size(employees_text, size_text, max_employees)
            if sized is None:
                return None
            employees, size_class = sized
            website = None
            if url:
                website = fast_website(url)
                if website is None:
                    return None
            if email and email_ok(email) is None:
                return None
            weight: float | None = None
            if weight_text:
                try:
                    weight = float(weight_text)
                except ValueError:
                    return None
                if not (isfinite(weight) and 0 < weight <= max_weight):
                    return None
            return (
                (ident, name, legal_form or None, address or None, postcode or None,
                 city or None, country, region or None, nace_code[0], nace_code[1], employees,
                 size_class, vat_id or None, company_id or None, phone or None, email or None,
                 url or None, weight),
                website,
            )

        return fast

    def _values(self, raw: list[str]) -> list[str]:
        raw.append("")
        values = list(map(str.strip, self._pick(raw)))
        for i, default, value_map in self._fixups:
            value = values[i] or default
            values[i] = value_map.get(value, value) if value_map is not None else value
        return values

    def _country(self, country: str, problems: list[tuple[str, str]]) -> str:
        country = country.upper()
        if not country:
            problems.append(("country", "is empty (required)"))
        elif country not in self._countries:
            hint = NON_ISO_HINTS.get(country)
            problems.append(
                ("country", f"{country!r} is not an ISO 3166 alpha-2 country code"
                 + (f" ({hint}; map it in the mapping file's [values.country])" if hint else ""))
            )
        return country

    @staticmethod
    def _size(employees_text: str, size_text: str, problems: list[tuple[str, str]]
              ) -> tuple[int | None, str | None]:
        """(employees, size class) of a row, the problems appended."""
        employees: int | None = None
        if employees_text:
            count, problem = EMPLOYEES.parse(employees_text)
            if count is None:
                problems.append(("employees", str(problem)))
            else:
                employees = int(count)
        size_class = _SIZE_SPELLINGS.get(size_text) if size_text else None
        if size_text and size_class is None:
            problems.append(
                ("size_class", f"{size_text!r} is not a size class ({', '.join(SIZE_CLASSES)})")
            )
        elif employees is not None:
            derived = size_class_of(employees)
            if size_class is None:
                size_class = derived
            elif size_class != derived:
                problems.append(
                    ("size_class", f"{size_class!r} does not match {employees} persons employed "
                     f"({derived})")
                )
        elif not size_text and not employees_text:
            problems.append(
                ("employees", "employees and size_class are both empty (one is required)")
            )
        return employees, size_class

    def __call__(
        self, raw: list[str]
    ) -> tuple[dict[str, Any], Website | None, list[tuple[str, str]]]:
        (ident, name, legal_form, address, postcode, city, country, region, nace, employees_text,
         size_text, vat_id, company_id, phone, email, url, weight_text) = values = self._values(raw)
        problems: list[tuple[str, str]] = []
        if not ident:
            problems.append(("id", "is empty (required)"))
        if not name:
            problems.append(("name", "is empty (required)"))
        if any(map(operator.gt, map(len, self._limited(values)), self._limits)):
            for position, column, limit in self._lengths:
                if len(values[position]) > limit:
                    problems.append(
                        (column, f"is {len(values[position])} characters long (at most {limit})")
                    )

        country = self._country(country, problems)

        nace_code = self._nace.get(nace)
        if not nace:
            problems.append(("nace", "is empty (required)"))
        elif nace_code is None:
            problems.append(("nace", f"{nace!r} is not a NACE Rev.2 code"))

        employees, size_class = self._size(employees_text, size_text, problems)

        website = None
        if url:
            website = website_of(url)
            if website is None:
                problems.append(("url", f"{url!r} is not a web address"))
        if email and _EMAIL.match(email) is None:
            problems.append(("email", f"{email!r} is not an e-mail address"))

        weight: float | None = None
        if weight_text:
            weight, problem = WEIGHT.parse(weight_text)
            if problem is not None:
                problems.append(("weight", problem))

        record = {
            "id": ident, "name": name, "legal_form": legal_form or None,
            "address": address or None, "postcode": postcode or None, "city": city or None,
            "country": country, "region": region or None,
            "nace": nace_code.code if nace_code else nace,
            "nace_section": nace_code.section if nace_code else None,
            "employees": employees, "size_class": size_class, "vat_id": vat_id or None,
            "company_id": company_id or None, "phone": phone or None, "email": email or None,
            "url": url or None, "weight": weight,
        }
        return record, website, problems
