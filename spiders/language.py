"""Page language: py3langid's model (97 languages, naive Bayes over byte 1- to 4-grams),
evaluated without its per-byte Python loop.

The library runs an Aho-Corasick automaton byte by byte in Python and expands every state's
n-grams into a dense feature vector (~25 ms a page). Two facts make it vectorisable and exact:
  * the automaton's states are trie nodes of depth at most 4 (its longest n-gram), so the state
    after byte i is the automaton run from the start over bytes i-3..i alone: four numpy gathers
    over all positions at once instead of one Python step per byte;
  * a state always emits the same n-grams, so each state's summed log-probabilities can be
    precomputed once (a states x languages table); a text's scores are then its state counts
    times that table.
Same argmax as the library's own classify (checked on the sample web and the real reference
pages); ~0.1 ms for the 1,200 characters a page is judged on.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

SAMPLE_CHARS = 1200  # enough text to tell languages apart; the rest only costs time
MIN_CHARS = 40  # below this a guess from text is noise: the page's lang attribute instead


def detect_language(text: str, html_lang: str | None) -> str | None:
    """ISO 639-1 code from the visible text, else from <html lang>, else None."""
    if len(text) >= MIN_CHARS:
        return classify_language(text[:SAMPLE_CHARS])
    if html_lang:
        return html_lang.split("-")[0]
    return None


def classify_language(text: str) -> str:
    import numpy as np

    model = _model()
    data = np.frombuffer(text.encode("utf8", errors="surrogatepass"), dtype=np.uint8)
    if data.size == 0:
        return model.languages[int(np.argmax(model.prior))]
    codes = data.astype(np.int64)
    depth = model.depth
    # positions 0..depth-2: the run from the start is shorter than a full window
    head = []
    state = 0
    for letter in codes[: depth - 1].tolist():
        state = int(model.nextmove[(state << 8) + letter])
        head.append(state)
    states = np.asarray(head, dtype=np.int64)
    if codes.size >= depth:
        windows = np.zeros(codes.size - depth + 1, dtype=np.int64)
        for offset in range(depth):
            windows = model.nextmove[(windows << 8) + codes[offset: codes.size - depth + 1 + offset]]
        states = np.concatenate([states, windows])
    counts = np.bincount(states, minlength=model.state_scores.shape[0]).astype(np.float64)
    used = np.flatnonzero(counts)
    scores = counts[used] @ model.state_scores[used] + model.prior
    return model.languages[int(np.argmax(scores))]


class _Model:
    def __init__(self, identifier: Any) -> None:
        import numpy as np

        self.nextmove = np.asarray(identifier.tk_nextmove, dtype=np.int64)
        states = self.nextmove.size // 256
        self.depth = _max_depth(self.nextmove, states)
        weights = np.asarray(identifier.nb_ptc, dtype=np.float64)
        self.state_scores = np.zeros((states, weights.shape[1]), dtype=np.float64)
        for state, features in identifier.tk_output.items():
            self.state_scores[state] = weights[list(features)].sum(axis=0)
        self.prior = np.asarray(identifier.nb_pc, dtype=np.float64)
        self.languages = [str(code) for code in identifier.nb_classes]


def _max_depth(nextmove: Any, states: int) -> int:
    """The deepest state's distance from the start (breadth-first over the transitions)."""
    import numpy as np

    depth = np.full(states, -1, dtype=np.int64)
    depth[0] = 0
    frontier = np.array([0], dtype=np.int64)
    level = 0
    while frontier.size:
        level += 1
        targets = np.unique(nextmove[(frontier[:, None] << 8) + np.arange(256)].ravel())
        frontier = targets[depth[targets] < 0]
        depth[frontier] = level
    return int(depth.max())


@lru_cache(maxsize=1)
def _model() -> _Model:
    import py3langid.langid as langid

    if langid.IDENTIFIER is None:
        langid.load_model()
    return _Model(langid.IDENTIFIER)


def warm_up() -> None:
    """Load the model now (~0.5 s), not while the first responses wait."""
    _model()
