"""Trap detection stays linear in the URL: a page may offer 500 links of 2,000 characters, and
each is checked on the crawl's reactor thread (the back-to-back repeat search was cubic in the
number of path segments: 0.5 s for one such URL)."""

from __future__ import annotations

import random
import string
from collections import Counter

import pytest

from ecomstat.spiders.traps import MAX_SEGMENT_REPEAT, TrapDetector, _has_tandem_run


def _tandem_by_brute_force(segments: list[str]) -> bool:
    n = len(segments)
    return any(segments[start:start + size] == segments[start + size:start + 2 * size]
               for size in range(2, n // 2 + 1) for start in range(0, n - 2 * size + 1))


def test_the_linear_search_finds_exactly_the_back_to_back_runs() -> None:
    rng = random.Random(0)
    checked = 0
    for _ in range(20_000):
        alphabet = "abcdefgh"[: rng.randint(1, 8)]
        segments = [rng.choice(alphabet) for _ in range(rng.randint(0, 14))]
        if segments and Counter(segments).most_common(1)[0][1] > MAX_SEGMENT_REPEAT:
            continue  # the count rule has already refused these
        assert _has_tandem_run(segments) == _tandem_by_brute_force(segments), segments
        checked += 1
    assert checked > 5_000


@pytest.mark.parametrize("path, trap", [("/a/b/a/b/", True), ("/shop/x/y/shop/x/y/", True),
                                        ("/a/a/", False), ("/a/b/c/a/", False),
                                        ("/a/b/c/d/e/", False), ("/a/a/a/", True)])
def test_repeated_paths(path: str, trap: bool) -> None:
    reason = TrapDetector().reason(f"https://www.firma.de.test{path}")
    assert (reason == "repeated-path") is trap


@pytest.mark.timeout(30)  # a hang guard, not a speed test: the cubic search needed 60+ s here
def test_many_long_many_segment_links_are_checked_quickly() -> None:
    """1,000 links of 2,040 characters with 674 distinct two-letter segments each."""
    alphabet = string.digits + string.ascii_lowercase
    segments = [a + b for a in alphabet for b in alphabet]
    detector = TrapDetector(max_url_length=2048)
    links = [(f"https://www.firma.de.test/p{page}/" + "/".join(segments[:700]))[:2040]
             for page in range(1_000)]
    assert [detector.reason(url) for url in links] == [None] * 1_000
