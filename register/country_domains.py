"""Country resolution (code or English name) and the domain suffixes firms of a country use.

English names come from register.countries (the shipped ISO 3166 list) plus the phonenumbers
package's region names, a few everyday aliases (UK, USA, Holland, Deutschland, ...), and the
long forms official and encyclopaedic texts write (`Kingdom of the Netherlands`, `Republic of
Ireland`, `Federal Republic of Germany`): a leading `Kingdom of`, `Republic of`, ... is dropped
when the full text is not a known name. `lookup_country` returns None for a name it does not
know, so a caller can go on without country suffixes instead of refusing a whole file.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import phonenumbers

from ecomstat.register.errors import InvalidCandidateInput
from ecomstat.register.legal_forms import tokens

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
    # long and colloquial forms whose generic reduction would be wrong or that no list holds
    "REPUBLIC OF CHINA": "TW", "PEOPLE'S REPUBLIC OF CHINA": "CN", "PRC": "CN", "MAINLAND CHINA": "CN",
    "DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA": "KP", "DPRK": "KP", "KOREA SOUTH": "KR", "KOREA NORTH": "KP",
    "UAE": "AE", "EMIRATES": "AE", "KSA": "SA", "DRC": "CD", "U.K.": "GB", "US OF A": "US",
    "HONG KONG SAR": "HK", "MACAU SAR": "MO", "MACEDONIA": "MK", "NORTH MACEDONIA": "MK",
    "SWAZILAND": "SZ", "BURMA": "MM", "EAST TIMOR": "TL", "CAPE VERDE": "CV", "WEST GERMANY": "DE",
    "ENGLAND AND WALES": "GB", "THE BAHAMAS": "BS", "THE GAMBIA": "GM", "VATICAN CITY": "VA",
    "SLOVAK REPUBLIC": "SK", "KYRGYZ REPUBLIC": "KG", "SWISS CONFEDERATION": "CH", "LAO PDR": "LA",
    "ARGENTINE REPUBLIC": "AR", "HELLENIC REPUBLIC": "GR", "FRENCH REPUBLIC": "FR",
    "ITALIAN REPUBLIC": "IT", "PORTUGUESE REPUBLIC": "PT", "LEBANESE REPUBLIC": "LB",
}

# Leading words of official long forms, longest first: `Federal Republic of Germany` -> Germany.
_LONG_FORM_PREFIXES = tuple(sorted((
    "kingdom of", "republic of", "federal republic of", "federative republic of", "people s republic of",
    "islamic republic of", "democratic republic of", "socialist republic of", "arab republic of",
    "united republic of", "state of", "commonwealth of", "principality of", "grand duchy of",
    "sultanate of", "emirate of", "hashemite kingdom of", "plurinational state of",
    "bolivarian republic of", "oriental republic of", "democratic socialist republic of",
    "federal democratic republic of", "independent state of", "co operative republic of",
    "union of", "federation of",
), key=len, reverse=True))
_LONG_FORM_SUFFIXES = ("republic", "federation", "kingdom", "confederation")


def _key(name: str) -> str:
    """Comparison key of a country name: its ASCII word tokens (`legal_forms.tokens`), `&` as
    AND, a leading THE dropped (`Côte d’Ivoire` == `Cote d'Ivoire` == `COTE D IVOIRE`)."""
    words = tokens(name.replace("&", " and "))
    if words[:1] == ("the",) and len(words) > 1:
        words = words[1:]
    return " ".join(words)


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, str]:
    # imported here: the geocoder loads every region's place names (~100 MB), which only this
    # table needs (matching and validation read the suffix table alone)
    from phonenumbers.geocoder import _region_display_name

    table: dict[str, str] = {}
    for code in phonenumbers.SUPPORTED_REGIONS:
        name = _region_display_name(code, "en")
        if name:
            table[_key(name)] = code
    try:
        from ecomstat.register.countries import country_names

        for code, name in country_names().items():
            table[_key(name)] = code
    except (ImportError, OSError):  # the import side's list is optional here
        pass
    table.update({_key(alias): code for alias, code in _ALIASES.items()})
    return table


def _long_form_code(key: str) -> str | None:
    """The code of a long form (`kingdom of the netherlands`, `slovak republic`), or None."""
    table = _codes_by_name()
    for prefix in _LONG_FORM_PREFIXES:
        if key.startswith(prefix + " ") or key == prefix:
            rest = _key(key[len(prefix):])
            if rest in table:
                return table[rest]
    for suffix in _LONG_FORM_SUFFIXES:
        if key.endswith(" " + suffix):
            rest = _key(key[: -len(suffix)])
            if rest in table:
                return table[rest]
    return None


@lru_cache(maxsize=4096)
def lookup_country(value: str) -> str | None:
    """ISO 3166 alpha-2 code for a code (`de`, `DE`) or English name (`Germany`, `Kingdom of
    the Netherlands`, `USA`); None when the text names no country this module knows."""
    text = (value or "").strip()
    if not text:
        return None
    upper = text.upper()
    if len(upper) == 2 and upper in set(_codes_by_name().values()) | set(suffix_table()):
        return _ALIASES.get(upper, upper)
    key = _key(text)
    return _codes_by_name().get(key) or _long_form_code(key)


def resolve_country(value: str) -> str:
    """ISO 3166 alpha-2 code for a code or English name; BadInput when it is not one."""
    if not (value or "").strip():
        raise InvalidCandidateInput("country is empty")
    code = lookup_country(value)
    if code is None:
        raise InvalidCandidateInput(
            f"unknown country {value!r} (use an ISO code like DE or an English name like Germany)")
    return code


@lru_cache(maxsize=1)
def suffix_table() -> dict[str, list[str]]:
    raw = resources.files("ecomstat.register").joinpath("data/country_tlds.json").read_text("utf-8")
    data = json.loads(raw)
    data.pop("_about", None)
    return data


def country_suffixes(country: str) -> list[str]:
    """Domain suffixes for `country`, most used first; the ccTLD when none is listed; none for
    an empty (unknown) country."""
    code = country.upper()
    if not code:
        return []  # unknown country: the generator adds .com, .net and .org only
    return list(suffix_table().get(code) or [code.lower()])
