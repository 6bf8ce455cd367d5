"""Fast multilingual phrase matching on word tokens.

Python's `re` tries every alternative of a big `a|b|c` pattern at every position, so a lexicon
of 60 phrases over 30,000 characters costs milliseconds per page. A `Lexicon` instead tokenises
the text once (`\\w+`, lower-cased; one C-level pass) and looks phrases up by their first word,
which keeps signal extraction well under a millisecond.
"""

from __future__ import annotations

import re
from itertools import compress
from collections.abc import Iterable

_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def lowered_tokens(lowered: str) -> list[str]:
    """`tokens(lowered)` of a text that is lower-cased already (str.lower is idempotent, so
    lower-casing it again would only copy it)."""
    return _TOKEN.findall(lowered)


class Lexicon:
    """A set of phrases ("add to cart", "in den warenkorb", "beli"), matched on whole words."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = sorted({p.lower() for p in phrases})
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self.phrases:
            words = tuple(tokens(phrase))
            if words:
                self._by_first.setdefault(words[0], []).append(words)
        for options in self._by_first.values():
            options.sort(key=len, reverse=True)  # longest phrase wins
        self.first_words = frozenset(self._by_first)  # no match without one of these

    def find_all(self, text_or_tokens: str | list[str], limit: int = 50) -> list[str]:
        """Distinct phrases found, in order of first appearance."""
        words = tokens(text_or_tokens) if isinstance(text_or_tokens, str) else text_or_tokens
        found: dict[str, None] = {}
        by_first = self._by_first
        # Only positions whose word starts some phrase (selected in C, not a Python loop).
        for i in compress(range(len(words)), map(by_first.__contains__, words)):
            for phrase in by_first[words[i]]:
                if tuple(words[i : i + len(phrase)]) == phrase:
                    found[" ".join(phrase)] = None
                    break
            if len(found) >= limit:
                break
        return list(found)

    def first(self, text_or_tokens: str | list[str]) -> str | None:
        hits = self.find_all(text_or_tokens, limit=1)
        return hits[0] if hits else None

    def search(self, text: str) -> bool:
        return self.first(text) is not None


def snippet(text: str, phrase: str, width: int = 40) -> str:
    """The phrase with some context from `text` (case-insensitive), for evidence."""
    at = text.lower().find(phrase.split(" ")[0])
    if at < 0:
        return phrase
    return text[max(0, at - width) : at + len(phrase) + width].strip()
