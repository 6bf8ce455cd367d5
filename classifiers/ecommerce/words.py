"""One tokenisation of a page, shared by the signals and the text model.

The signals' lexicons read the `\\w+` tokens of the lower-cased visible text (`lexicon.tokens`);
the text model reads the letters-only tokens (`WORDS`) of `model_text`, whose largest part is the
start of that same visible text, and its reliability reads the first `RELIABILITY_CHARS` of the
model text. Tokenising each separately cost three regex passes over the text; `page_words` makes
one and derives the rest, with exactly the tokens each would have found:

- a `WORDS` match is a maximal `\\w+` run of two or more characters, none a decimal digit or
  `_` (the `\\b` on both sides make it maximal), so filtering `\\w+` tokens gives `WORDS.findall`;
- the tokens of a prefix `text[:cut]` are those of the text up to the cut, the word the cut
  splits (if any) ending at the cut; tokenising the text in segments at the cuts and gluing the
  word split at each cut gives every prefix's tokens and the whole text's from one pass;
- `str.lower` maps character by character except for the Greek final sigma, which depends on the
  neighbours: pieces joined by a space lower independently, and a text with a capital sigma is
  tokenised per prefix instead of in segments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ecomstat.classifiers.html import PageDoc
from ecomstat.classifiers.lexicon import lowered_tokens, tokens

TEXT_CHARS = 8_000  # visible text fed to the text model (the start of the page says most)
RELIABILITY_CHARS = 4_000  # start of the model text whose words measure vocabulary coverage
WORDS = re.compile(r"(?u)\b[^\W\d_]{2,}\b")  # the text model's tokens: letters only
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_CAPITAL_SIGMA = "\u03a3"


@dataclass(frozen=True)
class PageWords:
    """A page's tokens, each list exactly what its own regex pass would have given."""

    text: list[str]  # lexicon.tokens(doc.text): the signals' lexicons
    model: list[str]  # WORDS.findall(model_text(doc).lower()): the text model
    head: list[str]  # WORDS.findall(model_text(doc)[:RELIABILITY_CHARS].lower()): reliability


def model_pieces(doc: PageDoc) -> list[str]:
    """The parts of the text model's input, in order; `model_text` joins them with spaces."""
    buttons = " ".join(doc.buttons[:50])
    anchors = " ".join(link.text for link in doc.links[:200] if link.text)
    return [doc.title, buttons, anchors[:3000], doc.text[:TEXT_CHARS]]


def model_text(doc: PageDoc) -> str:
    return " ".join(model_pieces(doc))


def letter_words(words: Sequence[str]) -> list[str]:
    """`WORDS.findall(s)` from the `\\w+` tokens of the same string `s` (see module docstring:
    str.isalpha covers nearly every token; the regex settles the rest, e.g. '²' or '_')."""
    return [w for w in words if len(w) > 1 and (w.isalpha() or _LETTERS.fullmatch(w))]


def prefix_tokens(text: str, cuts: Sequence[int]) -> list[list[str]]:
    """`lexicon.tokens(text[:cut])` for each of the ascending `cuts`, in one pass over `text`."""
    if _CAPITAL_SIGMA in text:  # lower() of a segment could differ from the whole's
        return [tokens(text[:cut]) for cut in cuts]
    found: list[list[str]] = []
    done: list[str] = []
    start = 0
    previous = ""  # the lower-cased segment before the current one
    for cut in cuts:
        segment = text[start:cut].lower()
        if segment:
            more = lowered_tokens(segment)
            if done and more and _is_word_char(previous[-1]) and _is_word_char(segment[0]):
                done = done[:-1] + [done[-1] + more[0]] + more[1:]  # the word the cut split
            else:
                done = done + more
            previous, start = segment, cut
        found.append(done)
    return found


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # the definition of re's \w on str


def page_words(doc: PageDoc, pieces: Sequence[str] | None = None) -> PageWords:
    """All three token lists of a page (see module docstring); `pieces` are its
    `model_pieces` when the caller has them already."""
    pieces = model_pieces(doc) if pieces is None else pieces
    text = doc.text
    # Where the reliability prefix ends: in which piece, and how far into it.
    start, head_piece, head_chars = 0, len(pieces) - 1, len(pieces[-1])
    for index, piece in enumerate(pieces):
        if RELIABILITY_CHARS <= start + len(piece):
            head_piece, head_chars = index, RELIABILITY_CHARS - start
            break
        start += len(piece) + 1
    cuts = [min(len(text), TEXT_CHARS), len(text)]
    if head_piece == len(pieces) - 1:
        cuts.insert(0, min(head_chars, cuts[0]))
    text_tokens = prefix_tokens(text, cuts)
    before = [tokens(piece) for piece in pieces[:-1]]
    model = letter_words([w for words in before for w in words] + text_tokens[-2])
    if head_piece == len(pieces) - 1:
        head_tokens = [w for words in before for w in words] + text_tokens[0]
    else:
        head_tokens = [w for words in before[:head_piece] for w in words]
        head_tokens += tokens(pieces[head_piece][:head_chars])
    return PageWords(text_tokens[-1], model, letter_words(head_tokens))
