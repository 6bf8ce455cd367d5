"""Turning a product listing into the one string the models read.

Receipt lines and shop titles spell the same thing many ways: `0,5l`, `0.5 L`, `500ml`;
`rohlík` and `rohlik`; `Wasser 6x1,5L`. The normaliser makes those collide on purpose so a model
learns from the word, not from the exact quantity, and keeps the fact that a quantity and its
unit were there (a unit is evidence: `ml` says drink or cosmetic, `gb` says computer).
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# A number, optionally with a decimal part, glued to or followed by a unit.
_UNITS = (
    "kg|g|mg|dkg|dag|lb|lbs|oz|l|ml|cl|dl|ltr|litre|liter|m|cm|mm|km|ks|pcs|pc|pack|tbl|tab|tbs|"
    "gb|tb|mb|kb|mhz|ghz|hz|w|kw|v|mah|mp|inch|in|x|%"
)
_QUANTITY = re.compile(rf"(?<![\w])(\d+(?:[.,]\d+)?)\s*({_UNITS})(?![\w])", re.IGNORECASE)
# "6x1,5l", "2 x 500 g": a multipack count before a quantity.
_MULTIPACK = re.compile(r"(?<![a-z])\d+\s*[x×*]\s*(?=\d)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SPACE = re.compile(r"\s+")
# Stray markup the WDC / schema.org extractions leave around titles: "@en language tags, quotes.
_LANG_TAG = re.compile(r'"?@[a-z]{2}(?:-[a-z]{2})?\b', re.IGNORECASE)
_JUNK = re.compile(r"[\"'`´|\\{}\[\]<>]+")

MAX_CHARS = 600  # titles are short; a long description adds little and costs time
DESCRIPTION_WORDS = 30


def _quantity(match: re.Match[str]) -> str:
    return f" qty{match.group(2).lower()} "


def normalise(text: str | None) -> str:
    """Lower-cased, NFKC-normalised text with quantities replaced by unit tokens
    (`0,5l` -> `qtyl`) and other numbers by their digit count (`2024` -> `num4`)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text))[:MAX_CHARS].lower()
    text = _LANG_TAG.sub(" ", text)
    text = _JUNK.sub(" ", text)
    text = _MULTIPACK.sub(" qtypack ", text)
    text = _QUANTITY.sub(_quantity, text)
    text = _NUMBER.sub(lambda m: f" num{min(len(m.group(0)), 5)} ", text)
    return _SPACE.sub(" ", text).strip()


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
