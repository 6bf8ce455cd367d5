"""Country resolution (code or English name) and the domain suffixes firms of a country use.

English names come from register.countries (the shipped ISO 3166 list) plus the phonenumbers
package's region names, and a few everyday aliases (UK, USA, Holland, Deutschland, ...).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import phonenumbers
from phonenumbers.geocoder import _region_display_name

from register.errors import InvalidCandidateInput
from register.legal_forms import tokens

_ALIASES = {
    "UK": "GB", "GREAT BRITAIN": "GB", "BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB",
    "WALES": "GB", "NORTHERN IRELAND": "GB", "USA": "US", "U.S.A.": "US", "U.S.": "US",
    "UNITED STATES OF AMERICA": "US", "AMERICA": "US", "HOLLAND": "NL", "THE NETHERLANDS": "NL",
    "CZECH REPUBLIC": "CZ", "DEUTSCHLAND": "DE", "BRASIL": "BR", "ESPANA": "ES", "ESPAÑA": "ES",
    "ITALIA": "IT", "POLSKA": "PL", "OSTERREICH": "AT", "ÖSTERREICH": "AT", "SCHWEIZ": "CH",
    "EL": "GR", "SOUTH KOREA": "KR", "KOREA": "KR", "RUSSIA": "RU", "VIETNAM": "VN",
    # ISO 3166 / UN official short names and other common English spellings
    "CZECHIA": "CZ", "VIET NAM": "VN", "RUSSIAN FEDERATION": "RU", "KOREA REPUBLIC OF": "KR",
    "REPUBLIC OF KOREA": "KR", "NORTH KOREA": "KP", "TURKIYE": "TR", "IVORY COAST": "CI",
    "COTE D IVOIRE": "CI", "CABO VERDE": "CV", "ESWATINI": "SZ", "DR CONGO": "CD",
    "DEMOCRATIC REPUBLIC OF THE CONGO": "CD", "CONGO DEMOCRATIC REPUBLIC OF THE": "CD",
    "REPUBLIC OF THE CONGO": "CG", "IRAN ISLAMIC REPUBLIC OF": "IR",
    "BOLIVIA PLURINATIONAL STATE OF": "BO", "MOLDOVA REPUBLIC OF": "MD",
    "TANZANIA UNITED REPUBLIC OF": "TZ", "VENEZUELA BOLIVARIAN REPUBLIC OF": "VE",
    "LAO PEOPLE S DEMOCRATIC REPUBLIC": "LA", "SYRIAN ARAB REPUBLIC": "SY",
    "TAIWAN PROVINCE OF CHINA": "TW", "UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND": "GB",
    "HOLY SEE": "VA", "MICRONESIA FEDERATED STATES OF": "FM", "PALESTINE STATE OF": "PS",
    "ST LUCIA": "LC", "ST KITTS AND NEVIS": "KN", "ST VINCENT AND THE GRENADINES": "VC",
    "MACAO": "MO", "BRUNEI DARUSSALAM": "BN",
}


def _key(name: str) -> str:
    """Comparison key of a country name: its ASCII word tokens (`legal_forms.tokens`), `&` as
    AND, a leading THE dropped (`Côte d’Ivoire` == `Cote d'Ivoire` == `COTE D IVOIRE`)."""
    words = tokens(name.replace("&", " and "))
    if words[:1] == ("the",) and len(words) > 1:
        words = words[1:]
    return " ".join(words)


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, str]:
    table: dict[str, str] = {}
    for code in phonenumbers.SUPPORTED_REGIONS:
        name = _region_display_name(code, "en")
        if name:
            table[_key(name)] = code
    try:
        from register.countries import country_names

        for code, name in country_names().items():
            table[_key(name)] = code
    except (ImportError, OSError):  # the import side's list is optional here
        pass
    table.update({_key(alias): code for alias, code in _ALIASES.items()})
    return table


@lru_cache(maxsize=4096)
def resolve_country(value: str) -> str:
    """ISO 3166 alpha-2 code for a code (`de`, `DE`) or English name (`Germany`)."""
    text = (value or "").strip()
    if not text:
        raise InvalidCandidateInput("country is empty")
    upper = text.upper()
    if len(upper) == 2 and upper in set(_codes_by_name().values()) | set(suffix_table()):
        return _ALIASES.get(upper, upper)
    code = _codes_by_name().get(_key(text))
    if code is None:
        raise InvalidCandidateInput(
            f"unknown country {value!r} (use an ISO code like DE or an English name like Germany)")
    return code


@lru_cache(maxsize=1)
def suffix_table() -> dict[str, list[str]]:
    raw = resources.files("register").joinpath("data/country_tlds.json").read_text("utf-8")
    data = json.loads(raw)
    data.pop("_about", None)
    return data


def country_suffixes(country: str) -> list[str]:
    """Domain suffixes for `country`, most used first; the ccTLD when none is listed."""
    code = country.upper()
    return list(suffix_table().get(code) or [code.lower()])
