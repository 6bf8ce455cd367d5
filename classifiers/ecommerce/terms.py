"""A text model's vocabulary as integer tables, for counting a page's terms in a few numpy
calls (`EcommerceModel.text_row`) instead of two dict look-ups per word in Python."""

from __future__ import annotations

from itertools import repeat

import numpy as np


class TermTables:
    """A vocabulary's unigrams and bigrams as integer tables, so that counting a page's terms
    is a handful of numpy calls instead of two dict look-ups per word in Python: each word of
    the vocabulary gets a number (0: in no term), a unigram is looked up by word number and a
    bigram by the pair code `first * width + second` in a sorted array."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        words: dict[str, int] = {}
        for term in vocabulary:
            for word in term.split(" "):
                words.setdefault(word, len(words) + 1)
        self.words = words
        self.width = len(words) + 1
        self.unigram = np.full(self.width, -1, dtype=np.int64)  # word number -> term index
        pairs: list[tuple[int, int]] = []
        for term, index in vocabulary.items():
            parts = term.split(" ")
            if len(parts) == 1:
                self.unigram[words[parts[0]]] = index
            elif len(parts) == 2:
                pairs.append((words[parts[0]] * self.width + words[parts[1]], index))
        pairs.sort()
        self.pair_codes = np.array([code for code, _ in pairs], dtype=np.int64)
        self.pair_terms = np.array([index for _, index in pairs], dtype=np.int64)
        self.starts_pair = np.zeros(self.width, dtype=bool)  # word number -> first of a bigram
        self.starts_pair[self.pair_codes // self.width] = True

    def numbers(self, words: list[str]) -> np.ndarray:
        """Each word's number (0: in no term)."""
        return np.fromiter(map(self.words.get, words, repeat(0)), dtype=np.int64,
                           count=len(words))

    def known(self, numbers: np.ndarray) -> int:
        """How many of these words are unigram terms (= in the vocabulary)."""
        return int(np.count_nonzero(self.unigram[numbers] >= 0))

    def count(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(term indices, counts) of the words numbered `numbers`: unigrams first, then
        bigrams, each in order of first occurrence. That is the order a plain counting loop
        gives, so the float sums made from these arrays come out bit for bit the same."""
        unigrams = self.unigram[numbers]
        unigrams = unigrams[unigrams >= 0]
        # Only pairs whose first word starts some bigram (most words start none).
        pairs = np.flatnonzero(self.starts_pair[numbers[:-1]] & (numbers[1:] > 0))
        codes = numbers[pairs] * self.width + numbers[pairs + 1]
        at = np.searchsorted(self.pair_codes, codes)
        at[at == len(self.pair_codes)] = 0
        bigrams = self.pair_terms[at[self.pair_codes[at] == codes]]
        # Term indices of unigrams and bigrams are disjoint, so one pass over both in a row
        # keeps "unigrams first" and each kind's first-occurrence order.
        return _first_occurrence_counts(np.concatenate((unigrams, bigrams)))


def _first_occurrence_counts(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct terms, counts), in order of first occurrence (np.unique with return_index
    and return_counts, then sorted by first index, costs about three times more)."""
    if not len(terms):
        return terms, terms
    order = terms.argsort(kind="stable")
    ranked = terms[order]
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    counts = np.diff(np.append(starts, len(ranked)))
    by_first = order[starts].argsort()  # the first occurrences are distinct positions
    return ranked[starts][by_first], counts[by_first]
