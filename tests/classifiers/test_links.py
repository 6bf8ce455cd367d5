"""The fast link resolution and splitting give exactly what urllib gives."""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from ecomstat.classifiers.html import Link, parse_html
from ecomstat.classifiers.links import Resolver, split_link
from ecomstat.urls import registered_domain

PAGES = ["https://a.example/x/y.html", "http://a.example/x/", "https://a.example",
         "https://a.example/x?q=1", "http://User@A.Example:8080/p;q/r", "", "a/b"]
# Pieces that urlsplit/urljoin treat specially, glued at random into hrefs.
PIECES = ["/", "//", "http://", "https://", "HTTP://", "a", "B", "x.example", ".", "..", "?",
          "#", ";", ":", "@", "%", "[", "]", "::1", "\t", "\n", " ", "é", "q=1", "8080", "~"]


def _split_by_urllib(url: str) -> tuple[str, str]:
    """The reference: what classifiers.characteristics computed before the fast path."""
    if url.startswith("//"):
        url = "https:" + url
    if not url.startswith(("http://", "https://")):
        return "", ""
    try:
        parts = urlsplit(url)
        domain = registered_domain(parts.hostname or "")
    except ValueError:
        return "", ""
    return domain.split(".")[0], parts.path or "/"


def _random_hrefs(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def _check(pages: list[str], hrefs: list[str]) -> int:
    checked = 0
    for page in pages:
        resolve = Resolver()
        resolve.page(page)
        for href in hrefs:
            link = Link(href, "")
            try:
                expected = urljoin(page, href) if page else href
            except ValueError:
                expected = href  # Link.resolve's answer to a URL urllib refuses
            absolute = resolve(link)
            assert absolute == expected, (page, href)
            assert resolve(link) == expected, (page, href)  # from the cache
            split_link.cache_clear()
            assert split_link(absolute) == _split_by_urllib(absolute), absolute
            assert split_link(href) == _split_by_urllib(href), href
            checked += 1
    return checked


def test_random_hrefs_resolve_and_split_as_urllib() -> None:
    assert _check(PAGES, _random_hrefs(3000, seed=7)) == 3000 * len(PAGES)


@pytest.mark.parametrize("href", [
    "/a/../b", "/./x", "/x?", "/x#", "/x?#f", "/x;p", "/x\ty", "https://h.example/a?",
    "https://[::1]/x", "https://h%41.example/", "https://h.example/é", "http://h.example",
    "https://u:p@H.Example:81/a?b#c", "//cdn.example/x", "/p#a?b", "/p?a#b"])
def test_hrefs_that_need_urllib(href: str) -> None:
    assert _check(PAGES, [href]) == len(PAGES)


def test_links_of_the_reference_pages(shared_data: Path) -> None:
    pages_dir = shared_data / "pages"
    rows = list(csv.DictReader(open(pages_dir / "labels.csv", encoding="utf-8")))[::4]
    checked = 0
    for row in rows:
        doc = parse_html(gzip.decompress((pages_dir / row["file"]).read_bytes()), row["url"])
        checked += _check([row["url"]], [link.url for link in doc.links])
    assert checked > 5000
