"""Enterprise names and the domains derived from them, the way real firms pick domains.

Most domains follow the rules URL discovery uses (legal form stripped, umlauts and accents
transliterated, words joined with or without a hyphen, country TLD or .com); some use an
abbreviation only the register's e-mail address reveals; a few are unrelated brands.
"""

from __future__ import annotations

import random
import re

from anyascii import anyascii

from ecomstat.sampleweb.locales import TRADES, Country
from ecomstat.sampleweb.vocab import LANGS

TEST_SUFFIX = "test"
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
_CONNECTORS = {"&", "und", "and", "et", "e", "y", "i", "en", "dan"}


def trade_word(trade: str, language: str) -> str:
    return TRADES[trade][1].split("|")[LANGS.index(language)]


def base_name(country: Country, trade: str, rng: random.Random) -> str:
    """A name without legal form: `Müller Bäckerei`, `Boulangerie Dupont`, `Nordlicht Mode`."""
    word = trade_word(trade, country.language)
    surname = rng.choice(country.surnames)
    pattern = rng.random()
    if pattern < 0.35:
        return f"{surname} {word}"
    if pattern < 0.6:
        return f"{word} {surname}"
    if pattern < 0.8:
        return f"{rng.choice(country.brands)} {word}"
    if pattern < 0.9:
        other = rng.choice([s for s in country.surnames if s != surname])
        joiner = {"de": "&", "fr": "&", "es": "y", "pt": "&", "it": "&", "nl": "&", "pl": "i",
                  "id": "&", "en": "&"}[country.language]
        return f"{surname} {joiner} {other}"
    return surname if country.code != "ID" else f"{surname} {word}"


def full_name(base: str, legal_form: str, country: Country) -> str:
    """Legal form placed as the country writes it (`PT Maju Jaya`, `Maju Jaya Tbk`)."""
    if country.code == "ID":
        if legal_form == "PT Tbk":
            return f"PT {base} Tbk"
        return f"{legal_form} {base}"
    return f"{base} {legal_form}"


def _words(base: str, german: bool) -> list[str]:
    text = base.translate(_GERMAN) if german else base
    text = anyascii(text).lower().replace("'", "")
    return [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _CONNECTORS]


def derived_label(base: str, country: Country, rng: random.Random) -> str:
    """A domain label URL discovery can derive from the name: `mueller-baeckerei`."""
    german = country.language == "de" and rng.random() < 0.7
    words = _words(base, german)
    joiner = "-" if rng.random() < 0.5 else ""
    return joiner.join(words)[:60].strip("-")


def email_only_label(base: str, city: str, rng: random.Random) -> str:
    """An abbreviation plus the city (`mb-koeln`): findable through the e-mail domain only."""
    initials = "".join(word[0] for word in _words(base, False)) or "x"
    city_words = _words(city, True)
    return f"{initials}-{''.join(city_words)}{rng.randint(1, 99) if rng.random() < 0.3 else ''}"


def opaque_label(base: str, country: Country, rng: random.Random) -> str:
    """A brand domain unrelated to the registered name."""
    name_words = set(_words(base, False))
    brands = [b for b in country.brands if not set(_words(b, False)) & name_words] or ["webshop"]
    words = _words(rng.choice(brands), False)
    suffix = rng.choice(("online", "group", "direct", "24", "world", "hub"))
    return "-".join(words + [suffix])


def pick_tld(country: Country, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15 and "com" in country.tlds:
        return "com"
    others = [t for t in country.tlds[1:] if t != "com"]
    if roll < 0.25 and others:
        return rng.choice(others)
    return country.tlds[0]


def hostname_for(label: str, tld: str, www: bool) -> str:
    return f"{'www.' if www else ''}{label}.{tld}.{TEST_SUFFIX}"


def bare(hostname: str) -> str:
    return hostname[4:] if hostname.startswith("www.") else hostname


def slugify(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", anyascii(text).lower()))
