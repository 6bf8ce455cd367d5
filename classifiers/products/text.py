"""Turning a product listing into the one string the models read.

Receipt lines and shop titles spell the same thing many ways: `0,5l`, `0.5 L`; `rohlík` and
`rohlik`; `Wasser 6x1,5L`. Two views of one normalised text:

- the word view keeps numbers as written, glued to their unit (`0.5l`, `500ml`, `16gb`, `6x`):
  `16gb` says computer, `0.5l` says drink, and a number the model never saw is no evidence at
  all. (Collapsing every number to a digit-count token made bare numbers strong evidence: a
  lone `12345` was "computer accessory" at 0.81.)
- the character view is accent-folded and has no digits, so `ROHLÍK 43g` and `rohlik` share
  their n-grams and the unit stays as a short word (`g`, `ml`, `gb`).

The word view can also cut inflection endings off words (`stem`, a light Czech stemmer):
`játrové knedlíky` and `knedlík játrový` then share `knedlík` and `játr`, and their word
bigrams meet across cases and numbers.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_UNITS = (
    "kg|g|mg|dkg|dag|lb|lbs|oz|l|ml|cl|dl|ltr|litre|liter|m|cm|mm|km|ks|pcs|pc|pack|tbl|tab|tbs|"
    "gb|tb|mb|kb|mhz|ghz|hz|w|kw|v|mah|mp|inch|in|x|%"
)
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# A number and its unit, written apart or together: "0.5 l", "500ml", "16 GB".
_QUANTITY = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s*({_UNITS})(?![\w])", re.IGNORECASE)
# "6x1,5l", "2 x 500 g": a multipack count before a quantity -> "6x 1.5l".
_MULTIPACK = re.compile(r"(?<![\w.])(\d+)\s*[x×*]\s*(?=\d)", re.IGNORECASE)
# Six digits and more are EANs, SKUs and order numbers: unique, so no evidence of a category.
_CODE = re.compile(r"(?<![\w.])\d{6,}(?![\w.])")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SPACE = re.compile(r"\s+")
# Stray markup the WDC / schema.org extractions leave around titles: "@en language tags, quotes.
_LANG_TAG = re.compile(r'"?@[a-z]{2}(?:-[a-z]{2})?\b', re.IGNORECASE)
_JUNK = re.compile(r"[\"'`´|\\{}\[\]<>]+")

# Word-view tokens: a number with its decimal part and glued unit ("0.5l", "15.6", "6x"), or a
# word of letters and digits ("t480"); one-letter words count (`a`, `l`, `x` carry meaning).
WORD_TOKENS = r"(?u)\d+(?:\.\d+)?\w*|\w+"

# Case, number and adjective endings of Czech nouns and adjectives, longest first (a light
# stemmer in the spirit of Dolamic & Savoy's: inflection only, no derivation). Words of
# letters only, at least 5 letters, keep at least 3 (`rýže` stays, `rohlíky` -> `rohlík`).
_ENDINGS = tuple(sorted(
    "atech ětem atům ách ata aty ami ové ový ová ých ého ému ými ích ím ém ou ám ům ech ěmi "
    "ey eho emu ími ě é í ý á a e i o u y ů".split(), key=len, reverse=True))
MIN_STEMMED = 5
MIN_STEM = 3

MAX_CHARS = 600  # titles are short; a long description adds little and costs time
DESCRIPTION_WORDS = 30


def normalise(text: str | None) -> str:
    """Lower-cased, NFKC-normalised text with quantities written one way (`0,5 L` -> `0.5l`,
    `6 x 1,5l` -> `6x 1.5l`) and long digit codes (EAN, SKU) removed: the word view."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text))[:MAX_CHARS].lower()
    text = _LANG_TAG.sub(" ", text)
    text = _JUNK.sub(" ", text)
    text = _DECIMAL_COMMA.sub(".", text)
    text = _MULTIPACK.sub(r"\1x ", text)
    text = _QUANTITY.sub(r"\1\2", text)
    text = _CODE.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def stem(word: str) -> str:
    """A word without its inflection ending (`rohlíky` -> `rohlík`, `játrové` -> `játr`);
    numbers, codes and short words unchanged. English words lose a final vowel or `y`
    (`battery` -> `batter`) the same way in training and prediction."""
    if len(word) < MIN_STEMMED or not word.isalpha():
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def stemmed(normalised: str) -> str:
    """The word view with each word stemmed (see `stem`)."""
    return " ".join(stem(word) for word in normalised.split(" "))


def char_view(normalised: str) -> str:
    """The character view of a normalised text: accent-folded, digits dropped."""
    return _SPACE.sub(" ", _NUMBER.sub(" ", fold(normalised))).strip()


def fold(text: str) -> str:
    """ASCII transliteration, so `rohlík`, `rohlik` and `РОХЛИК`-style spellings meet."""
    return anyascii(text)


def listing_text(
    title: str | None, breadcrumb: str | None = None, description: str | None = None
) -> str:
    """The raw model input for one listing: title first, then breadcrumb and the first words of
    the description (the models normalise it). The breadcrumb is the shop's own category path,
    often the strongest signal after the title; a description adds little beyond its start."""
    parts = [str(title or "").strip()]
    if breadcrumb:
        parts.append(str(breadcrumb).replace(">", " ").replace("/", " ").strip())
    if description:
        parts.append(" ".join(str(description).split()[:DESCRIPTION_WORDS]))
    return " | ".join(p for p in parts if p)
