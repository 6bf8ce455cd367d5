"""The evidence behind a validation finding: the web value as the page writes it, how many
sources on the site state it, and how sure the finding is.

Extraction (register.extract) compares values in a compact form (`00185`, `+39062222222`);
register staff need what the page says: the postcode with its separator (`20660-139`,
`SW1A 1AA`) and the full address (street, postcode, city), not a text window cut mid-word.
The confidence of a finding answers "how sure is this contradiction (or confirmation)", and
is documented in docs/register-decisions.md:

    confidence = link x agreement x strength x ambiguity

- link: the probability that the site is the enterprise's (the match probability; 1 for a
  website linked by hand);
- agreement: 1 - 0.5 ** (sources + 1), where sources is the number of legal and home pages
  whose text, and of pages whose structured data, state the web value (1 -> 0.75, 2 -> 0.875);
- strength: 1 for identifiers compared exactly (VAT id, phone, postcode, legal form); for
  fuzzy comparisons (address, name) how far the register value is from the page:
  (100 - similarity) / 50, clipped to [0.2, 1] (a near miss is a weak contradiction);
- ambiguity: 1 / (1 + 0.25 (k - 1)) when the site states k different values for the field
  (which one is the enterprise's?).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ecomstat.register.extract import (
    _postcode_pattern, compact_id, extract_site_facts, id_keys, page_priority)
from ecomstat.register.legal_forms import split_legal_forms, tokens

MAX_SOURCE_PAGES = 30  # pages per site scanned for agreeing sources (a crawl keeps ~25)
EXACT_FIELDS = ("vat_id", "phone", "postcode", "legal_form", "website")
_HEADINGS = {"impressum", "imprint", "kontakt", "contact", "contatti", "contacto", "address",
             "adresse", "anschrift", "indirizzo", "direccion", "morada", "adres", "alamat",
             "endereco", "sede", "siege", "mentions", "legales", "aviso", "legal", "colofon"}
_STREET_ABBREVIATIONS = {"ul", "al", "pl", "os", "nr", "no", "av", "avda", "c", "r", "jl", "st", "rd",
                         "bd", "pza", "v", "vle", "s", "dr", "gen", "prof"}
_AFTER_CITY = {"tel", "telefon", "telephone", "phone", "fax", "e-mail", "email", "mail",
               "ust-idnr", "vat", "p", "iva", "tva", "nif", "cif", "www", "web", "kontakt",
               "contact", "handelsregister", "registergericht", "geschaftsfuhrer", "cnpj"}


def fingerprint(register_value: str | None, web_value: str | None, evidence_url: str | None) -> str:
    """What a decision is taken on: the register value, the web value and the source page."""
    raw = "\x1f".join(v or "" for v in (register_value, web_value, evidence_url))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _ordered(pages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(pages, key=lambda p: page_priority(str(p.get("url") or "")))


def _postal_nodes(data: Any) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            kinds = node.get("@type") or ""
            if "postaladdress" in str(kinds).lower():
                out.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


def written_postcode(pages: Sequence[Mapping[str, Any]], country: str, compact: str) -> str | None:
    """The postcode `compact` as the site writes it (`20660-139`, `SW1A 1AA`), else None."""
    pattern = _postcode_pattern(country.upper())
    for page in _ordered(pages):
        for node in _postal_nodes(page.get("structured_data") or {}):
            value = str(node.get("postalCode") or "").strip()
            if value and compact_id(value) == compact:
                return value
        for match in pattern.finditer(str(page.get("text") or "")[:20_000]):
            if compact_id(match.group(0)) == compact:
                return match.group(0)
    return None


def _is_stop(token: str, country: str) -> bool:
    """Where a street, read backwards from its postcode, cannot go on: a heading, a legal
    form (the end of the enterprise's name), a label, a separator, the end of a sentence."""
    bare = token.strip(",.;:").lower()
    if not any(ch.isalnum() for ch in token) or token.endswith((":", ";", "|", "·")) or bare in _HEADINGS:
        return True
    if split_legal_forms("x " + token.strip(",;:"), country)[1]:  # a form after some name
        return True
    # "uns." ends a sentence; "Str.", "Nr.", "ul.", "Av." abbreviate street words
    abbreviation = bare.endswith("str") or bare in _STREET_ABBREVIATIONS or (
        len(bare) <= 3 and token[:1].isupper())
    return token.endswith(".") and not abbreviation


def _city_after(words: list[str]) -> str:
    city: list[str] = []
    for word in words[:4]:
        bare = word.strip(",.;:").lower()
        if not any(ch.isalpha() for ch in bare) or any(ch.isdigit() for ch in bare):
            break
        if bare in _AFTER_CITY or (tokens(bare) or ("",))[0] in _AFTER_CITY:
            break
        city.append(word.rstrip(",;:"))
        if word.endswith((",", ".", ";", ":")):
            break
    return " ".join(city).rstrip(".")


def _street_before(words: list[str], country: str) -> str:
    words = list(words)
    while words and not any(ch.isalnum() for ch in words[-1]):
        words.pop()  # "Avenida Brasil 87 · 20660-139": the separator before the postcode
    street: list[str] = []
    for word in reversed(words[-6:]):
        if _is_stop(word, country):
            break
        street.insert(0, word)
    # "Bäckerei Müller, Lindenallee 77": the street is the last part with a house number
    parts = [p.strip() for p in " ".join(street).split(",") if p.strip()]
    for i in range(len(parts) - 1, -1, -1):
        if any(ch.isdigit() for ch in parts[i]):
            return ", ".join(parts[i:])
    return ", ".join(parts)


def written_address(pages: Sequence[Mapping[str, Any]], country: str, postcode: str | None) -> str | None:
    """The enterprise's address as the site writes it: street, postcode and city from
    structured data when the site has it, else read around the postcode in the imprint or
    contact text (the street back to the name, a heading or a sentence end; the city up to a
    label such as `Tel`)."""
    country = country.upper()
    for page in _ordered(pages):
        for node in _postal_nodes(page.get("structured_data") or {}):
            street = str(node.get("streetAddress") or "").strip()
            if street and (not postcode or compact_id(str(node.get("postalCode") or "")) == postcode):
                place = " ".join(str(node.get(k) or "").strip() for k in ("postalCode", "addressLocality"))
                return f"{street}, {place.strip()}".strip(", ")
    found = list(_text_addresses(pages, country))
    # the postcode the finding is about, read as a street address (a house number before it);
    # `© 2026 Firma` in a footer reads like an Austrian postcode but has no street
    for wanted in ((postcode, True), (None, True), (postcode, False)):
        for compact, has_number, address in found:
            if (wanted[0] is None or compact == wanted[0]) and (has_number or not wanted[1]):
                return address
    return None


def _text_addresses(pages: Sequence[Mapping[str, Any]], country: str) -> Iterator[tuple[str, bool, str]]:
    """(compact postcode, whether a house number precedes it, the address as written) for
    each postcode on the legal pages and the home page, in page order."""
    pattern = _postcode_pattern(country)
    for page in _ordered(pages):
        if page_priority(str(page.get("url") or "")) > 1:
            continue
        text = str(page.get("text") or "")[:20_000]
        for match in pattern.finditer(text):
            before, after = text[:match.start()].split(), text[match.end():].split()
            street = _street_before(before, country)
            has_number = any(ch.isdigit() for ch in street)
            city = _city_after(after)
            if country in ("GB", "IE"):  # "1 High Street London SW1A 1AA": the city may come first
                address = " ".join(v for v in (street, match.group(0), city) if v)
            else:
                address = f"{street}, {match.group(0)} {city}".strip(", ")
            yield compact_id(match.group(0)), has_number, address


def _states(field: str, value: str, facts: Any) -> bool:
    if field == "vat_id":
        return bool(id_keys(value) & facts.id_keys())
    if field == "phone":
        return value in facts.phones
    if field == "postcode":
        return compact_id(value) in facts.postcodes
    return False


def _norm(text: str) -> str:
    return " " + " ".join(tokens(text)) + " "


def page_facts(pages: Sequence[Mapping[str, Any]], country: str, domain: str) -> list[Any]:
    """Per page (in `sources` order), the facts its text states: computed once per site and
    shared by the fields that count sources."""
    return [extract_site_facts([dict(page, structured_data={})], country, domain)
            for page in _ordered(pages)[:MAX_SOURCE_PAGES]]


def sources(pages: Sequence[Mapping[str, Any]], country: str, domain: str, field: str,
            value: str | None, facts_per_page: list[Any] | None = None) -> int:
    """How many sources on the site state `value` for `field`: each page whose text says it,
    and each page whose structured data says it (at least 1: the finding was read somewhere).
    `facts_per_page`: `page_facts(pages, ...)`, when the caller counts for several fields."""
    if not value:
        return 0
    needle = _norm(value.split(",")[0] if field == "address" else value)
    ordered = _ordered(pages)[:MAX_SOURCE_PAGES]
    if field in ("vat_id", "phone", "postcode") and facts_per_page is None:
        facts_per_page = page_facts(pages, country, domain)
    n = 0
    for i, page in enumerate(ordered):
        structured = page.get("structured_data") or {}
        if field in ("vat_id", "phone", "postcode"):
            n += _states(field, value, facts_per_page[i])  # type: ignore[index]
        elif page_priority(str(page.get("url") or "")) <= 1:  # a footer on every page is one source
            n += needle.strip() != "" and needle in _norm(str(page.get("text") or ""))
        if structured and needle.strip() and needle in _norm(json.dumps(structured, ensure_ascii=False)):
            n += 1
    return max(n, 1)


def confidence(*, link: float | None, sources: int, exact: bool, similarity: float | None = None,
               alternatives: int = 1) -> float:
    """How sure the finding is (module docstring; docs/register-decisions.md)."""
    agreement = 1 - 0.5 ** (max(sources, 1) + 1)
    strength = 1.0
    if not exact and similarity is not None:
        strength = min(1.0, max(0.2, (100 - similarity) / 50))
    ambiguity = 1 / (1 + 0.25 * (max(alternatives, 1) - 1))
    return round((1.0 if link is None else link) * agreement * strength * ambiguity, 3)


def alternatives_of(field: str, facts: Any) -> int:
    """How many different values the site states for the field."""
    if field == "phone":
        return len(facts.phones)
    if field == "postcode":
        return len(facts.postcodes)
    if field == "vat_id":
        return len(facts.vat_ids) or len(facts.company_ids)
    if field == "name":
        return min(len(facts.names), 3)
    return 1
