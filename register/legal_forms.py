"""Legal forms (GmbH, Ltd, S.A., Sp. z o.o., PT, Tbk, ...) and the name normalisation that
URL discovery and matching share.

Names and forms are compared as token tuples after transliteration (anyascii) and removing
punctuation, so `S.p.A.`, `SpA` and `S.P.A` are one form and `Sp. z o.o.` is `sp z o o`.
The shipped list (data/legal_forms.json) is per country; a small set of forms that cannot be
mistaken for a word is stripped whatever the country, because registers hold foreign firms too.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from anyascii import anyascii

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

# Stripped for every country: long or distinctive enough never to be part of a trade name.
_UNAMBIGUOUS = (
    "gmbh", "ggmbh", "gmbh & co kg", "ug haftungsbeschrankt", "ltd", "limited", "plc", "llp",
    "llc", "inc", "incorporated", "corp", "corporation", "sarl", "s a r l", "sas", "sasu",
    "eurl", "spa", "s p a", "srl", "s r l", "srls", "bv", "b v", "nv", "n v", "ltda", "eireli",
    "sp z o o", "s l", "s l u", "s a", "s a s", "s a u", "s r o", "tbk", "pty ltd", "pvt ltd",
    "kgaa", "ohg", "e k", "s/a", "sa de cv", "oyj",
)

# German-style transliteration: the second spelling web addresses use (Müller -> mueller).
_GERMANIC = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
    "ø": "oe", "Ø": "Oe", "æ": "ae", "Æ": "Ae", "å": "aa", "Å": "Aa",
})


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case ASCII tokens of `text` (anyascii: ü -> u, ß -> ss, ł -> l)."""
    ascii_text = anyascii(text).lower().replace("&", " ")
    return tuple(t for t in _NON_ALNUM.split(ascii_text) if t)


def spellings(text: str) -> list[str]:
    """`text` in its transliterations, most common first: plain (ü -> u) and Germanic
    (ü -> ue, ø -> oe, å -> aa); one entry when both agree."""
    out = [text]
    germanic = text.translate(_GERMANIC)
    if germanic != text:
        out.append(germanic)
    return out


@lru_cache(maxsize=1)
def _data() -> dict:
    raw = resources.files("ecomstat.register").joinpath("data/legal_forms.json").read_text("utf-8")
    return json.loads(raw)


@lru_cache(maxsize=256)
def _forms(country: str, position: str) -> tuple[tuple[str, ...], ...]:
    data = _data()[position]
    forms = {tokens(f) for f in data.get(country.upper(), [])}
    if position == "suffix":
        forms |= {tokens(f) for f in _UNAMBIGUOUS}
    else:
        forms |= {tokens(f) for f in data.get("_any", [])}
    forms.discard(())
    # longest first, so `gmbh co kg` wins over `kg`
    return tuple(sorted(forms, key=len, reverse=True))


@lru_cache(maxsize=256)
def suffix_form_ends(country: str) -> frozenset[str]:
    """The last token of every legal form written after a name in `country`: a text whose last
    token is not among them has no such form to strip."""
    return frozenset(form[-1] for form in _forms(country, "suffix"))


def split_legal_form(name: str, country: str = "") -> tuple[tuple[str, ...], str]:
    """(core name tokens, stripped legal form text) for `name` in `country`."""
    core, forms = split_legal_forms(name, country)
    return core, " ".join(forms)


def split_legal_forms(name: str, country: str = "") -> tuple[tuple[str, ...], list[str]]:
    """(core name tokens, the legal forms stripped, in name order) for `name` in `country`.

    Forms are stripped repeatedly from the end (`GmbH & Co. KG`, `Ltda ME`) and, for countries
    that put them first, from the start (`PT ... Tbk`); a name is never stripped to nothing.
    """
    toks = tokens(name)
    stripped: list[str] = []
    changed = True
    while changed and len(toks) > 1:
        changed = False
        for form in _forms(country, "suffix"):
            n = len(form)
            if len(toks) > n and toks[-n:] == form:
                stripped.insert(0, " ".join(form))
                toks = toks[:-n]
                changed = True
                break
        for form in _forms(country, "prefix"):
            n = len(form)
            if len(toks) > n and toks[:n] == form:
                stripped.insert(0, " ".join(form))
                toks = toks[n:]
                changed = True
                break
    return toks, stripped


def core_name(name: str, country: str = "") -> str:
    """The name without legal form, as space-separated ASCII tokens (`Müller GmbH` -> `muller`)."""
    return " ".join(split_legal_form(name, country)[0])


def legal_form_of(name: str, country: str = "") -> str:
    """The legal form written in `name`, normalised (`Foo S.p.A.` -> `s p a`), or ''."""
    return split_legal_form(name, country)[1]


def normalise_form(form: str) -> str:
    """A legal-form string normalised for comparison: `S.p.A.` == `SpA` == `spa`."""
    return "".join(tokens(form))
