"""Domain labels guessed from an enterprise name, each tagged with the pattern that made it.

The patterns (see README, "Register validation"): the whole name without its legal form
(`full`, joined or hyphenated), without filler words (`content`: of, de, und, ...), without
generic words (`specific`: Group, Holdings, Company, Industries, ...), without a country's name
(`nocountry`: China Minmetals -> minmetals), the first word (`first`: DHL Express -> dhl), the
first two words, the last word, acronyms (`Deutsche Bank` -> db, `Energias de Portugal` -> edp
with the short words, `Banca Nazionale del Lavoro` -> bnl without them, `GlaxoSmithKline` ->
gsk from its capitals, `Hindustan Aeronautics Limited` -> hal with the legal form), `&` written
out, and group/corp/global/inc variants (`Mitsubishi Corporation` -> mitsubishicorp).
register.candidates decides their order; this module only spells them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from anyascii import anyascii

from ecomstat.register.legal_forms import spellings, split_legal_forms, tokens

# Short function words: dropped from `content` and from the shorter acronym.
FILLER = frozenset({
    "the", "and", "und", "et", "y", "e", "en", "i", "of", "de", "da", "do", "di", "der", "die",
    "das", "la", "le", "les", "el", "van", "von", "del", "della", "des", "du", "dos", "for",
    "dan", "og", "och", "af",
})
# Words that say what kind of firm it is, not which: brands drop them from their domains
# (Lend Lease Group -> lendlease.com, GEA Group -> gea.com).
GENERIC = frozenset({
    "group", "groupe", "grupo", "gruppe", "gruppo", "groep", "grupa", "gruppen", "holding",
    "holdings", "company", "companies", "co", "corporation", "corp", "incorporated", "inc",
    "limited", "ltd", "international", "intl", "industries", "industry", "enterprises",
    "enterprise", "global", "worldwide", "plc", "ag", "sa", "se", "nv", "ab", "asa", "oyj",
    "spa", "kk", "bhd", "berhad", "tbk", "pjsc", "ojsc", "jsc", "pao", "ooo", "llc",
})
_GRUPO = frozenset({"ES", "PT", "BR", "MX", "AR", "CL", "CO", "PE", "VE", "UY", "PY", "BO", "EC",
                    "GT", "CR", "PA", "DO", "SV", "HN", "NI", "AO", "MZ"})  # Spanish, Portuguese
_ARTICLES = frozenset({"al", "el"})  # Arabic articles: part of the first word of a name
_AND = {"DE": "und", "AT": "und", "CH": "und", "FR": "et", "BE": "et", "ES": "y", "IT": "e",
        "PT": "e", "BR": "e", "NL": "en", "PL": "i", "ID": "dan"}
_GERMANIC_FIRST = {"DE", "AT", "CH", "LI", "LU", "DK", "NO", "SE"}
# camelCase parts: `GlaxoSmithKline` -> glaxo smith kline, `STMicroelectronics` -> st micro...
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019`\u00b4")
# Labels the company owns whatever the blocklist says (Google -> google.com).
SELF_PATTERNS = frozenset({"full", "full-h", "content", "content-h", "specific", "specific-h"})


@dataclass(frozen=True)
class NameLabel:
    pattern: str  # e.g. full, first, acr-all; `alt-` prefix for the second transliteration
    label: str


def _valid(label: str) -> bool:
    return 1 < len(label) <= 63 and not label.startswith("-") and not label.endswith("-")


def _camel_parts(text: str, core: list[str]) -> list[str]:
    """camelCase parts of the words of `text` that make up `core` (no legal form: GmbH is not
    G-mb-H)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", anyascii(text).replace("&", " ")) if w]
    lower = [w.lower() for w in words]
    for start in range(len(words) - len(core) + 1):
        if lower[start:start + len(core)] == core:
            words = words[start:start + len(core)]
            break
    else:
        return []
    return [p.lower() for word in words for p in _CAMEL.findall(word)]


def _initials(words: list[str] | tuple[str, ...]) -> str:
    return "".join(w[0] for w in words)


def _one_spelling(spelling: str, country: str, country_words: frozenset[str],
                  country_name: str) -> list[tuple[str, str]]:
    core_t, legal = split_legal_forms(spelling, country)
    core = list(core_t)
    if not core:
        return []
    content = [t for t in core if t not in FILLER] or core
    specific = [t for t in content if t not in GENERIC] or content
    local = [t for t in specific if t not in country_words] or specific
    return (_word_labels(core, content, specific, local, legal)
            + _spelling_labels(spelling, core, country)
            + _suffix_labels(core, content, specific, legal, country, country_name))


def _word_labels(core: list[str], content: list[str], specific: list[str], local: list[str],
                 legal: list[str]) -> list[tuple[str, str]]:
    """The name's words joined, in part, and their initials."""
    out = [("full", "".join(core)), ("full-h", "-".join(core)),
           ("content", "".join(content)), ("content-h", "-".join(content)),
           ("specific", "".join(specific)), ("specific-h", "-".join(specific)),
           ("nocountry", "".join(local)), ("nocountry-h", "-".join(local))]
    if len(specific) > 2 and specific[0] in _ARTICLES:  # Al Ghurair Investment -> al-ghurair
        out += [("first", "".join(specific[:2])), ("first-h", "-".join(specific[:2]))]
    if len(specific) > 1:
        out += [("first", specific[0]), ("last", specific[-1])]
    if len(content) > 2:
        out.append(("first2", "".join(content[:2])))
    if len(specific) == 2:
        out.append(("init-rest", specific[0][0] + specific[1]))  # Votorantim Cimentos -> vcimentos
    if len(core) > 1:
        out += [("acr-all", _initials(core)), ("acr-content", _initials(content)),
                ("acr-specific", _initials(specific)),
                ("acr-legal", _initials(core) + "".join(_initials(tokens(f)) for f in legal))]
    return out


def _spelling_labels(spelling: str, core: list[str], country: str) -> list[tuple[str, str]]:
    """Labels from the spelling as written: its camelCase parts, `&` as a word."""
    out = []
    camel = _camel_parts(spelling, core)
    if len(camel) > len(core) and len(camel) > 1:
        out += [("camel-acr", _initials([p for p in camel if p not in FILLER])),
                ("camel-first", camel[0])]
    if "&" in spelling:
        conjunction = _AND.get(country, "and")
        for word in dict.fromkeys((conjunction, "and")):
            out.append(("and", "".join(tokens(spelling.replace("&", f" {word} "))[: len(core) + 1])))
    return out


def _suffix_labels(core: list[str], content: list[str], specific: list[str],
                   legal: list[str], country: str,
                   country_name: str) -> list[tuple[str, str]]:
    """The name with a legal form, group or corporate word, or its country added."""
    out = []
    base = "".join(specific)
    if legal:
        out.append(("with-form", "".join(core) + "".join(tokens(legal[-1]))))
    out += [(f"with-{w}", base + w) for w in ("group", "corp", "global", "inc")]
    out.append(("h-group", "-".join(specific) + "-group"))
    if country in _GRUPO:  # Grupo Aval, grupodma.com.br
        out.append(("grupo", "grupo" + base))
    if country in ("GB", "IE"):  # investor sites of listed firms: ihgplc.com
        out.append(("with-plc", base + "plc"))
    if len(specific) > 1:
        out.append(("first-group", specific[0] + "group"))
    if country_name and len(core) > 1:
        out.append(("acr-country", _initials(content) + country_name))
    if country:
        out.append(("first-cc", specific[0] + country.lower()))
    return out


def name_labels(name: str, country: str, country_words: frozenset[str] = frozenset(),
                country_name: str = "") -> list[NameLabel]:
    """Every label guess for `name` in `country` (ISO code or ''), deduplicated: a label
    keeps the first pattern that spelled it. `country_words` are one-word country names (dropped
    by `nocountry`), `country_name` the firm's country as one token (`india`)."""
    text = name.translate(_APOSTROPHES)  # Domino's -> dominos, L'Oréal -> loreal
    forms = spellings(text)
    if country in _GERMANIC_FIRST:
        forms.reverse()  # mueller-baeckerei.de is the usual German spelling
    out: list[NameLabel] = []
    seen: set[str] = set()
    for index, spelling in enumerate(forms):
        prefix = "alt-" if index else ""
        for pattern, label in _one_spelling(spelling, country, country_words, country_name):
            if label not in seen and _valid(label):
                seen.add(label)
                out.append(NameLabel(prefix + pattern, label))
    return out
